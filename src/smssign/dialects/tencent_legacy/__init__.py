"""Legacy Tencent SMS v5 (`/v5/tlssmssvr/…_sign`): sdkappid + sha256 `sig`, JSON bodies."""

from smssign.dialects.tencent_legacy.protocol import PROTOCOL
from smssign.dialects.tencent_legacy.provider import PROVIDER

__all__ = ["PROTOCOL", "PROVIDER"]
