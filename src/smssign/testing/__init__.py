"""smssign for users' own test suites: an in-process mock, a pytest plugin, seeds.

    import smssign.testing

    with smssign.testing.mock() as sms:          # or @smssign.testing.mock()
        account = sms.create_account("acme")
        ...                                       # your code, calling the real endpoints

The pytest plugin (`smssign.testing.plugin`, registered by entry point) adds the fixtures
`smssign_mock`, `smssign_server` and `smssign_account`. See docs/testing.md.

Names are imported on first use, so that loading the plugin into every pytest run stays
cheap for suites that never touch smssign.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smssign.app.seed import SeedError
    from smssign.testing.inprocess import (
        PROVIDER_HOSTS,
        MockError,
        SmsMock,
        current,
        is_provider_host,
        mock,
    )
    from smssign.testing.server import SmssignServer

_EXPORTS = {
    "mock": "smssign.testing.inprocess",
    "current": "smssign.testing.inprocess",
    "SmsMock": "smssign.testing.inprocess",
    "MockError": "smssign.testing.inprocess",
    "PROVIDER_HOSTS": "smssign.testing.inprocess",
    "is_provider_host": "smssign.testing.inprocess",
    "SmssignServer": "smssign.testing.server",
    "SeedError": "smssign.app.seed",
}

__all__ = [
    "PROVIDER_HOSTS",
    "MockError",
    "SeedError",
    "SmsMock",
    "SmssignServer",
    "current",
    "is_provider_host",
    "mock",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'smssign.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
