"""`smssign webhooks`: per-account webhooks, where events are POSTed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    DatabaseOption,
    JsonOption,
    run_backoffice,
    settings_for,
)

if TYPE_CHECKING:
    from smssign.backoffice.services import Backoffice
    from smssign.backoffice.webhooks import Delivery, Webhook

app = typer.Typer(help="Per-account webhooks: where signature events are POSTed.")


@app.command("set")
def webhooks_set(
    account_id: int,
    url: str,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret", help="HMAC secret; without it the current one stays or one is made."
        ),
    ] = None,
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Keep the webhook but send nothing for now.")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Send the account's signature events to URL, signed with the secret."""
    hook = run_backoffice(
        settings_for(database),
        lambda bo: bo.webhooks.set(account_id, url, secret=secret, enabled=not disabled),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "account_id": hook.account_id,
                    "url": hook.url,
                    "secret": hook.secret,
                    "enabled": hook.enabled,
                }
            )
        )
        return
    typer.echo(
        f"account {hook.account_id}: webhook {hook.url} ({'enabled' if hook.enabled else 'paused'})"
    )
    if not secret:
        typer.echo(f"secret: {hook.secret}")


@app.command("show")
def webhooks_show(
    account_id: int, as_json: JsonOption = False, database: DatabaseOption = DEFAULT_DATABASE
) -> None:
    """The account's webhook and its recent deliveries."""

    async def show(bo: Backoffice) -> tuple[Webhook | None, list[Delivery]]:
        await bo.runtime.accounts.get(account_id)
        return await bo.webhooks.get(account_id), await bo.store.deliveries(
            account_id=account_id, limit=20
        )

    hook, recent = run_backoffice(settings_for(database), show)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "webhook": None if hook is None else {"url": hook.url, "enabled": hook.enabled},
                    "deliveries": [
                        {
                            "id": d.id,
                            "type": d.type,
                            "status": d.status.value,
                            "attempts": d.attempts,
                            "last_status_code": d.last_status_code,
                            "last_error": d.last_error,
                        }
                        for d in recent
                    ],
                }
            )
        )
        return
    if hook is None:
        typer.echo(f"account {account_id}: no webhook")
    else:
        typer.echo(f"account {account_id}: {hook.url} ({'enabled' if hook.enabled else 'paused'})")
    for d in recent:
        typer.echo(f"{d.id}\t{d.type}\t{d.status.value}\tattempts={d.attempts}\t{d.last_error}")


@app.command("remove")
def webhooks_remove(account_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Stop sending; unfinished deliveries are cancelled."""
    removed = run_backoffice(settings_for(database), lambda bo: bo.webhooks.remove(account_id))
    typer.echo(f"account {account_id}: " + ("webhook removed" if removed else "had no webhook"))
