"""`smssign operators`: console operators and their admin API tokens."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    DatabaseOption,
    run_backoffice,
    settings_for,
)

if TYPE_CHECKING:
    from smssign.backoffice.services import Backoffice

app = typer.Typer(help="Console operators: create them, issue admin API tokens.")


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
    """Set an operator's password and lift a lock-out."""
    password = _read_password(password_stdin, "New password")

    async def change(bo: Backoffice) -> None:
        await bo.operators.set_password(name, password)
        await bo.operators.unlock(name)

    run_backoffice(settings_for(database), change)
    typer.echo(f"operator {name}: password changed")


@app.command("token")
def operators_token(
    name: str,
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Issue an admin API bearer token; it is printed alone on the last line, once."""
    token = run_backoffice(settings_for(database), lambda bo: bo.operators.issue_token(name, label))
    typer.echo(f"admin API token for {name} (shown once; send as Authorization: Bearer):")
    typer.echo(token)


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
