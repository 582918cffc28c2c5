"""The wire protocols smssign speaks, one folder each.

Each folder declares its wire protocol (`PROTOCOL`, dialects/protocol.py: what the
gateway runs) and its provider's facts (`PROVIDER`, core/providers.py: credentials,
limits, names). Adding a provider is its folder and one entry in `DIALECTS`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from smssign.core.providers import Provider, Providers
from smssign.dialects import aliyun, tencent_legacy, tencent_v3, yunpian
from smssign.dialects.protocol import WireProtocol

DIALECTS = (tencent_v3, tencent_legacy, yunpian, aliyun)
"""In the order accounts get credentials."""

PROVIDERS: tuple[Provider, ...] = tuple(dialect.PROVIDER for dialect in DIALECTS)
PROTOCOLS: tuple[WireProtocol[Any, Any], ...] = tuple(dialect.PROTOCOL for dialect in DIALECTS)


@cache
def registry() -> Providers:
    """`PROVIDERS` as the registry the layers above read (unless they are given another)."""
    return Providers(PROVIDERS)
