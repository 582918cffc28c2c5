"""The wire protocols smssign speaks, one folder each; the server mounts `PROTOCOLS`."""

from __future__ import annotations

from typing import Any

from smssign.dialects.protocol import WireProtocol
from smssign.dialects.tencent_legacy.protocol import PROTOCOL as TENCENT_LEGACY
from smssign.dialects.tencent_v3.protocol import PROTOCOL as TENCENT_V3
from smssign.dialects.yunpian.protocol import PROTOCOL as YUNPIAN

PROTOCOLS: tuple[WireProtocol[Any, Any], ...] = (TENCENT_V3, TENCENT_LEGACY, YUNPIAN)
"""Adding a dialect: its folder, and one line here."""
