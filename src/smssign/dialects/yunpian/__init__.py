"""Yunpian API v2: signatures (`/v2/sign/*`), sending and pulls (`/v2/sms/*`) and the
account (`/v2/user/get.json`); form bodies, `apikey`."""

from smssign.dialects.yunpian.protocol import PROTOCOL
from smssign.dialects.yunpian.provider import PROVIDER

__all__ = ["PROTOCOL", "PROVIDER"]
