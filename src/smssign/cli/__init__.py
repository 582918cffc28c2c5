"""The `smssign` command: run the server, manage accounts, review signatures.

One module per command group. Command names, flags and JSON keys are a contract other
tools rely on. Nothing imports this package but the entry point.
"""

from __future__ import annotations

import typer

from smssign.cli import (
    accounts,
    blobs,
    callbacks,
    keys,
    operators,
    qualifications,
    review,
    webhooks,
)
from smssign.cli.common import PROVIDERS
from smssign.cli.serve import serve

app = typer.Typer(
    help=f"smssign: a self-hostable SMS signature service speaking {PROVIDERS.vendors()} APIs.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(serve)
app.add_typer(accounts.app, name="accounts")
app.add_typer(review.app, name="review")
app.add_typer(qualifications.app, name="qualifications")
app.add_typer(keys.app, name="keys")
app.add_typer(operators.app, name="operators")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(callbacks.app, name="callbacks")
app.add_typer(blobs.app, name="blobs")


def main() -> None:
    app()
