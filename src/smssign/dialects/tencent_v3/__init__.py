"""Tencent Cloud API 3.0, service `sms`, versions 2019-07-11 and 2021-01-11."""

from smssign.dialects.tencent_v3.protocol import PROTOCOL
from smssign.dialects.tencent_v3.provider import PROVIDER

__all__ = ["PROTOCOL", "PROVIDER"]
