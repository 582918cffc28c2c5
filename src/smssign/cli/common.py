"""What every command group shares: the options, and running an action on a runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from smssign.app.runtime import Runtime, default_providers, open_runtime
from smssign.app.settings import Settings, data_dir_from_env
from smssign.core import errors
from smssign.store.keyring import MasterKeyError

if TYPE_CHECKING:
    from smssign.backoffice.services import Backoffice

T = TypeVar("T")

PROVIDERS = default_providers()
"""The registered providers: credential kinds, display names (core/providers.py)."""

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="SMSSIGN_DATABASE_URL",
        help="Database URL: sqlite:///path.db (default ./smssign.db) or postgresql://user@host/db.",
    ),
]
DataDirOption = Annotated[
    Path,
    typer.Option("--data-dir", envvar="SMSSIGN_DATA_DIR", help="Where proof images are stored."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for other tools.")]


def run(settings: Settings, action: Callable[[Runtime], Awaitable[T]]) -> T:
    """Open the runtime, run `action`, close it; a refused action is one line on stderr, exit 1."""

    async def main() -> T:
        async with open_runtime(settings) as runtime:
            return await action(runtime)

    try:
        return asyncio.run(main())
    except (errors.SmssignError, MasterKeyError) as exc:
        typer.echo(f"error: {exc or type(exc).__name__}", err=True)
        raise typer.Exit(1) from exc


def settings_for(database: str, data_dir: Path | None = None) -> Settings:
    return Settings(database_url=database, data_dir=data_dir or data_dir_from_env())


def run_backoffice(settings: Settings, action: Callable[[Backoffice], Awaitable[T]]) -> T:
    """`run`, with the back office (operators, webhooks) opened on the runtime."""
    from smssign.backoffice.services import open_backoffice

    async def with_backoffice(runtime: Runtime) -> T:
        async with open_backoffice(runtime) as backoffice:
            return await action(backoffice)

    return run(settings, with_backoffice)
