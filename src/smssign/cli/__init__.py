"""The `smssign` command: run the server, manage accounts, review signatures.

One module per command group. Command names, flags and JSON keys are a contract other
tools rely on. Nothing imports this package but the entry point.

The command groups other than `serve` are imported when they are named (or when the
help lists them): `smssign serve` starts without loading the modules of the others.
"""

from __future__ import annotations

import importlib

import typer
from typer._click import Command, Context, Parameter
from typer.core import TyperGroup

from smssign.cli.common import PROVIDERS
from smssign.cli.plain_options import PlainOptionsCommand, take_plain_options
from smssign.cli.serve import serve

GROUPS = {
    "accounts": "smssign.cli.accounts",
    "review": "smssign.cli.review",
    "qualifications": "smssign.cli.qualifications",
    "keys": "smssign.cli.keys",
    "operators": "smssign.cli.operators",
    "webhooks": "smssign.cli.webhooks",
    "callbacks": "smssign.cli.callbacks",
    "blobs": "smssign.cli.blobs",
}
"""Command group name -> the module whose `app` it is, in the order `--help` lists them."""


class CommandGroups(TyperGroup):
    """The root command: `serve` at once, each group of GROUPS when first asked for."""

    def list_commands(self, ctx: Context) -> list[str]:
        loaded = super().list_commands(ctx)
        return [*loaded, *(name for name in GROUPS if name not in loaded)]

    def get_params(self, ctx: Context) -> list[Parameter]:
        return take_plain_options(super().get_params(ctx))

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in GROUPS:
            # Built as add_typer on the root would have built it (a group even when it
            # has one command), then kept.
            holder = typer.Typer()
            holder.add_typer(importlib.import_module(GROUPS[cmd_name]).app, name=cmd_name)
            built = typer.main.get_group(holder).get_command(ctx, cmd_name)
            if built is not None:
                self.add_command(built, cmd_name)
            found = built
        return found


app = typer.Typer(
    cls=CommandGroups,
    help=f"smssign: a self-hostable SMS signature service speaking {PROVIDERS.vendors()} APIs.",
    no_args_is_help=True,
    add_completion=False,
)
app.command(cls=PlainOptionsCommand)(serve)


@app.callback()
def _root() -> None:
    # A callback keeps the root a group of commands while only `serve` is registered.
    pass


def main() -> None:
    app()
