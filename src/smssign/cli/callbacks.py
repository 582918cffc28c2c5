"""`smssign callbacks`: where an account's status reports and replies are pushed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import PROVIDERS, DatabaseOption, JsonOption, run_backoffice, settings_for

if TYPE_CHECKING:
    from smssign.backoffice.services import Backoffice
    from smssign.core.reports import Callbacks

FORMATS = PROVIDERS.report_formats()
_NAMES = " or ".join(FORMATS.names)
_EACH = "; ".join(f"{f.name}: {f.title}" for f in FORMATS)

app = typer.Typer(
    help="Per-account status-report and reply URLs, pushed in each provider's own format "
    f"({_EACH})."
)


def _shown(found: Callbacks) -> dict[str, object]:
    return found.snapshot()


@app.command("set")
def callbacks_set(
    account_id: int,
    provider: Annotated[str, typer.Argument(help=f"The report format: {_NAMES}.")],
    status_url: Annotated[
        str | None,
        typer.Option(
            "--status-url",
            help="Where delivery reports are POSTed, at most 100 per request; a send's own "
            "callback URL, where the provider takes one, wins.",
        ),
    ] = None,
    reply_url: Annotated[
        str | None,
        typer.Option("--reply-url", help="Where replies (MO) are POSTed, one per request."),
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Push the account's status reports and replies of PROVIDER to these URLs.

    In that provider's format, for reports from now on; both URLs are replaced (one left
    out is not pushed).
    """
    found = run_backoffice(
        settings_for(database),
        lambda bo: bo.callbacks.set(
            account_id, provider, status_url=status_url, reply_url=reply_url
        ),
    )
    if as_json:
        typer.echo(json.dumps(_shown(found)))
        return
    typer.echo(
        f"account {found.account_id}: {found.provider} status reports to "
        f"{found.status_url or '(none)'}, replies to {found.reply_url or '(none)'}"
    )


@app.command("show")
def callbacks_show(
    account_id: int, as_json: JsonOption = False, database: DatabaseOption = DEFAULT_DATABASE
) -> None:
    """The account's report URLs, per provider."""

    async def show(bo: Backoffice) -> list[Callbacks]:
        await bo.runtime.accounts.get(account_id)
        return await bo.callbacks.show(account_id)

    listed = run_backoffice(settings_for(database), show)
    if as_json:
        typer.echo(json.dumps({"callbacks": [_shown(c) for c in listed]}))
        return
    if not listed:
        typer.echo(f"account {account_id}: no report URLs")
    for c in listed:
        typer.echo(f"{c.provider}\tstatus={c.status_url or '-'}\treply={c.reply_url or '-'}")


@app.command("remove")
def callbacks_remove(
    account_id: int,
    provider: Annotated[str, typer.Argument(help=f"The report format: {_NAMES}.")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Push no more of PROVIDER's reports; those already queued are still sent."""
    removed = run_backoffice(
        settings_for(database), lambda bo: bo.callbacks.remove(account_id, provider)
    )
    typer.echo(f"account {account_id}: " + ("removed" if removed else f"had no {provider} URLs"))
