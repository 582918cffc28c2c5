"""How an account and its credentials are shown to their owner (`accounts create --json`).

The shape is a contract: the CLI prints it, the admin API and the console answer it, the
seed loader and the testing kit return it. Each credential kind's part is declared by its
dialect (`CredentialKind.shown`).
"""

from __future__ import annotations

from typing import Any

from smssign.core.accounts import Issued
from smssign.core.providers import Providers


def issued_json(issued: Issued, providers: Providers | None = None) -> dict[str, Any]:
    """The `accounts create --json` shape (a contract): the account, then one key per
    credential kind it holds, in registry order. The registered providers' kinds unless
    `providers` says otherwise."""
    if providers is None:
        from smssign.dialects import registry

        providers = registry()
    account = issued.account
    out: dict[str, Any] = {
        "id": account.id,
        "name": account.name,
        "certification": account.certification.value,
    }
    for kind in providers.kinds:
        credential = issued.credentials.get(kind.name)
        if credential is not None:
            out[kind.name] = kind.shown(credential)
    return out
