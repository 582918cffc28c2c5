"""`smssign review`: list what waits for review, approve, start filing, reject."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    DatabaseOption,
    JsonOption,
    run,
    settings_for,
)
from smssign.core.model import Signature, Status

app = typer.Typer(help="Review signatures: list, approve, start filing, reject.")


def signature_json(signature: Signature) -> dict[str, Any]:
    return {
        "id": signature.id,
        "account_id": signature.account_id,
        "name": signature.name,
        "international": signature.international,
        "status": signature.status.value,
        "review_reply": signature.review_reply,
        "submitted_at": signature.submitted_at,
        "application_id": signature.application_id,
    }


@app.command("list")
def review_list(
    status: Annotated[
        Status, typer.Option("--status", help="pending, filing, approved or rejected.")
    ] = Status.PENDING,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Signatures in one status, oldest submission first."""
    found = run(settings_for(database), lambda rt: rt.repository.signatures_with_status([status]))
    if as_json:
        typer.echo(json.dumps([signature_json(s) for s in found], ensure_ascii=False))
        return
    for s in found:
        scope = "international" if s.international else "mainland"
        typer.echo(f"{s.id}\taccount {s.account_id}\t{s.status.value}\t{scope}\t{s.name}")


def _review(database: str, sign_id: int, decision: Status, reason: str) -> None:
    signature = run(
        settings_for(database),
        lambda rt: rt.signatures.review(sign_id, decision, reason=reason, reviewer="cli"),
    )
    typer.echo(f"signature {signature.id}: {signature.status.value}")


@app.command("approve")
def review_approve(
    sign_id: int,
    reply: Annotated[str, typer.Option("--reply", help="A note shown as ReviewReply.")] = "",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Approve a pending or filing signature."""
    _review(database, sign_id, Status.APPROVED, reply)


@app.command("file")
def review_file(sign_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Approve a pending signature into carrier filing (报备中)."""
    _review(database, sign_id, Status.FILING, "")


@app.command("reject")
def review_reject(
    sign_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why; shown to the applicant.")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Reject a pending or filing signature with a reason."""
    _review(database, sign_id, Status.REJECTED, reason)
