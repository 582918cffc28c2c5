"""`smssign operators`: console operators and their admin API tokens."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    DatabaseOption,
    run_backoffice,
    settings_for,
)
from smssign.core import errors

if TYPE_CHECKING:
    from smssign.backoffice.services import Backoffice

T = TypeVar("T")

app = typer.Typer(help="Console operators: create, disable, issue and revoke admin API tokens.")


def _read_password(from_stdin: bool, prompt: str) -> str:
    """One line of standard input, or a hidden prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@app.command("create")
def operators_create(
    name: str,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create a console operator (argon2 password hash)."""
    password = _read_password(password_stdin, "Password")
    operator = run_backoffice(
        settings_for(database), lambda bo: bo.operators.create(name, password)
    )
    typer.echo(f"operator {operator.id} {operator.name} created")


@app.command("password")
def operators_password(
    name: str,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the new password from standard input."),
    ] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Set an operator's password, end its console sessions and lift a lock-out."""
    password = _read_password(password_stdin, "New password")

    async def change(bo: Backoffice) -> None:
        await bo.operators.set_password(name, password)
        await bo.operators.unlock(name)

    run_backoffice(settings_for(database), change)
    typer.echo(f"operator {name}: password changed; console sessions ended")


@app.command("disable")
def operators_disable(name: str, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Disable an operator: no more logins, its sessions end and its tokens are revoked now."""
    _run_operators(lambda bo: bo.operators.disable(name), database)
    typer.echo(f"operator {name}: disabled; sessions ended, tokens revoked")


@app.command("enable")
def operators_enable(name: str, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Let a disabled operator log in again (ended sessions and revoked tokens stay so)."""
    _run_operators(lambda bo: bo.operators.enable(name), database)
    typer.echo(f"operator {name}: enabled")


@app.command("token")
def operators_token(
    name: str,
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    expires_in: Annotated[
        float | None,
        typer.Option("--expires-in", min=0, help="Days until the token stops working."),
    ] = None,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Issue an admin API bearer token; it is printed alone on the last line, once."""
    token = _run_operators(
        lambda bo: bo.operators.issue_token(name, label, expires_in_days=expires_in),
        database,
    )
    typer.echo(f"admin API token for {name} (shown once; send as Authorization: Bearer):")
    typer.echo(token)


@app.command("tokens")
def operators_tokens(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list.")] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """An operator's admin API tokens: id, state, label, created, expires (never the secret)."""
    from smssign.core.clock import SystemClock

    tokens = _run_operators(lambda bo: bo.operators.tokens(name), database)
    now = SystemClock().now()
    if as_json:
        typer.echo(json.dumps([{**asdict(k), "state": k.state(now)} for k in tokens]))
        return
    for k in tokens:
        expires = _when(k.expires_at) if k.expires_at is not None else "never"
        typer.echo(f"{k.id}\t{k.state(now)}\t{k.label}\t{_when(k.created_at)}\t{expires}")


@app.command("revoke-token")
def operators_revoke_token(token_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Revoke one admin API token by the id `smssign operators tokens` shows."""
    token = _run_operators(lambda bo: bo.operators.revoke_token(token_id), database)
    typer.echo(f"token {token.id} of {token.operator}: revoked")


def _run_operators(action: Callable[[Backoffice], Awaitable[T]], database: str) -> T:
    """Run an operators command; an unknown name or id is a clean error, not a traceback."""
    try:
        return run_backoffice(settings_for(database), action)
    except (errors.NotFound, errors.InvalidSubmission) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


@app.command("list")
def operators_list(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Every operator."""
    for operator in run_backoffice(settings_for(database), lambda bo: bo.operators.operators()):
        state = "disabled" if operator.disabled_at else "active"
        typer.echo(f"{operator.id}\t{operator.name}\t{state}")


@app.command("unlock")
def operators_unlock(name: str, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Lift a lock-out after too many failed logins."""
    run_backoffice(settings_for(database), lambda bo: bo.operators.unlock(name))
    typer.echo(f"operator {name}: unlocked")
