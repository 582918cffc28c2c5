"""Tencent Cloud API 3.0, service `sms`, versions 2019-07-11 and 2021-01-11."""
