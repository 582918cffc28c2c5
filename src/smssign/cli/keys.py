"""`smssign keys`: the master key that seals credentials at rest."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Annotated

import typer

from smssign.app.runtime import open_runtime
from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    PROVIDERS,
    DatabaseOption,
    JsonOption,
    settings_for,
)
from smssign.core import errors
from smssign.store.keyring import (
    MasterKey,
    MasterKeyError,
    MasterKeys,
    key_file_for,
    load_master_keys,
    write_key_file,
)
from smssign.store.repository import Resealed

app = typer.Typer(help="Master key for secrets at rest: generate one, rotate to a new one.")

_HASHED_KEYS = "/".join(dict.fromkeys(k.key_field for k in PROVIDERS.kinds if k.hashed)) or "key"
"""What hashed keys are called, for the summary line."""


@app.command("generate")
def keys_generate() -> None:
    """Print a new random master key (for SMSSIGN_MASTER_KEY)."""
    typer.echo(MasterKey.generate().text())


@app.command("rotate-master")
def keys_rotate_master(
    previous: Annotated[
        list[str] | None,
        typer.Option(
            "--previous",
            help="An older master key that stored secrets may still be sealed with; repeat "
            "for more (SMSSIGN_PREVIOUS_MASTER_KEYS is read too).",
        ),
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Seal every stored secret under the current master key.

    With SMSSIGN_MASTER_KEY set, that key is the new one: set it on every node with the
    old one in SMSSIGN_PREVIOUS_MASTER_KEYS, run this, then drop the old one. Without it
    (SQLite), a new key is made and written to the key file beside the database; the old
    key stays in the file until every secret is sealed under the new one.
    """
    try:
        keys = load_master_keys(database)
        extra = tuple(MasterKey.parse(text) for text in previous or [])
        keys = replace(keys, previous=(*keys.previous, *extra))
    except MasterKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    key_file = key_file_for(database) if keys.source != "environment" else None
    if key_file is not None:
        fresh = MasterKey.generate()
        # The old keys stay readable in the file until the pass below has finished.
        write_key_file(key_file, [fresh, keys.current, *keys.previous])
        keys = MasterKeys(fresh, (keys.current, *keys.previous), str(key_file))

    async def reseal() -> Resealed:
        async with open_runtime(settings_for(database), master_keys=keys) as runtime:
            return await runtime.repository.reseal_credentials()

    try:
        done = asyncio.run(reseal())
    except (errors.SmssignError, MasterKeyError) as exc:
        typer.echo(f"error: {exc} (pass older keys with --previous)", err=True)
        raise typer.Exit(1) from exc
    if key_file is not None and not done.unreadable:
        write_key_file(key_file, [keys.current])
    report = {
        "master_key_id": keys.current.id,
        "sealed": done.sealed,
        "already_current": done.current,
        # The key's name is a contract older than the registry: it counts every kind's.
        "apikeys_hashed": done.hashed,
        "unreadable_credential_ids": list(done.unreadable),
        "key_file": str(key_file) if key_file else None,
    }
    if as_json:
        typer.echo(json.dumps(report))
    else:
        typer.echo(
            f"master key {keys.current.id}: sealed {done.sealed} secret(s) anew, "
            f"{done.current} already current, hashed {done.hashed} {_HASHED_KEYS}(s)"
        )
        if key_file is not None:
            typer.echo(f"key file {key_file} holds the new key")
    if done.unreadable:
        ids = ", ".join(str(i) for i in done.unreadable)
        typer.echo(
            f"error: no known master key opens the secrets of credential(s) {ids}; "
            "pass the key that sealed them with --previous",
            err=True,
        )
        raise typer.Exit(1)
