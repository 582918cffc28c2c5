"""How an account and its credentials are shown to their owner (`accounts create --json`).

The shape is a contract: the CLI prints it, the admin API and the console answer it, the
seed loader and the testing kit return it.
"""

from __future__ import annotations

from typing import Any

from smssign.core.accounts import Issued
from smssign.core.model import Dialect
from smssign.store.keyring import is_apikey_digest


def issued_json(issued: Issued) -> dict[str, Any]:
    """The `accounts create --json` shape (a contract)."""
    account = issued.account
    out: dict[str, Any] = {
        "id": account.id,
        "name": account.name,
        "certification": account.certification.value,
    }
    creds = issued.credentials
    if Dialect.TENCENT in creds:
        c = creds[Dialect.TENCENT]
        out["tencent"] = {"secret_id": c.key_id, "secret_key": c.secret}
    if Dialect.LEGACY in creds:
        c = creds[Dialect.LEGACY]
        out["legacy"] = {"sdkappid": int(c.key_id), "appkey": c.secret}
    if Dialect.YUNPIAN in creds:
        apikey = creds[Dialect.YUNPIAN].key_id
        if is_apikey_digest(apikey):
            # Only the hash is stored: the apikey itself was shown when it was issued.
            out["yunpian"] = {"apikey": None, "apikey_sha256": apikey.removeprefix("sha256:")}
        else:
            out["yunpian"] = {"apikey": apikey}
    return out
