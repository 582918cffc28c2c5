"""Yunpian API v2 signatures (`/v2/sign/{add,update,get}.json`): form bodies, `apikey`."""

from smssign.dialects.yunpian.protocol import PROTOCOL
from smssign.dialects.yunpian.provider import PROVIDER

__all__ = ["PROTOCOL", "PROVIDER"]
