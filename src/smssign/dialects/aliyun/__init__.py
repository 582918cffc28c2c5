"""Alibaba Cloud SMS, dysmsapi 2017-05-25: RPC v1 and ACS3-HMAC-SHA256 signatures."""

from smssign.dialects.aliyun.protocol import PROTOCOL
from smssign.dialects.aliyun.provider import PROVIDER

__all__ = ["PROTOCOL", "PROVIDER"]
