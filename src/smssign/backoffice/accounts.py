"""How an account and its credentials are shown to their owner (`accounts create --json`).

The shape is a contract: the CLI prints it, the admin API and the console answer it, the
seed loader and the testing kit return it. Each credential kind's part is declared by its
dialect (`CredentialKind.shown`); `Providers.issued_json` puts them together.
"""

from __future__ import annotations

from typing import Any

from smssign.core.accounts import Issued
from smssign.core.providers import Providers


def issued_json(issued: Issued, providers: Providers | None = None) -> dict[str, Any]:
    """The `accounts create --json` shape (a contract), for the registered providers
    unless `providers` says otherwise."""
    if providers is None:
        from smssign.dialects import registry

        providers = registry()
    return providers.issued_json(issued)
