"""`smssign review`: list what waits for review, approve, start filing, reject.

`--kind` picks the reviewable kind: `signature` (the default) or `template`. The JSON
keys are a contract other tools rely on.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    DatabaseOption,
    JsonOption,
    run,
    settings_for,
)
from smssign.core.model import SIGNATURE, TEMPLATE, Signature, Status, Subject, Template

app = typer.Typer(help="Review signatures and templates: list, approve, start filing, reject.")


class Kind(StrEnum):
    SIGNATURE = SIGNATURE
    TEMPLATE = TEMPLATE


KindOption = Annotated[Kind, typer.Option("--kind", help="signature or template.")]


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


def template_json(template: Template) -> dict[str, Any]:
    return {
        "id": template.id,
        "account_id": template.account_id,
        "name": template.name,
        "content": template.content,
        "type": template.type.value,
        "international": template.international,
        "status": template.status.value,
        "review_reply": template.review_reply,
        "submitted_at": template.submitted_at,
        "application_id": template.application_id,
    }


@app.command("list")
def review_list(
    status: Annotated[
        Status, typer.Option("--status", help="pending, filing, approved or rejected.")
    ] = Status.PENDING,
    as_json: JsonOption = False,
    kind: KindOption = Kind.SIGNATURE,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Signatures (or templates) in one status, oldest submission first."""
    if kind is Kind.TEMPLATE:
        _list_templates(database, status, as_json)
        return
    found = run(settings_for(database), lambda rt: rt.repository.signatures_with_status([status]))
    if as_json:
        typer.echo(json.dumps([signature_json(s) for s in found], ensure_ascii=False))
        return
    for s in found:
        scope = "international" if s.international else "mainland"
        typer.echo(f"{s.id}\taccount {s.account_id}\t{s.status.value}\t{scope}\t{s.name}")


def _list_templates(database: str, status: Status, as_json: bool) -> None:
    found = run(settings_for(database), lambda rt: rt.repository.templates_with_status([status]))
    if as_json:
        typer.echo(json.dumps([template_json(t) for t in found], ensure_ascii=False))
        return
    for t in found:
        scope = "international" if t.international else "mainland"
        typer.echo(
            f"{t.id}\taccount {t.account_id}\t{t.status.value}\t{scope}\t{t.type.value}\t{t.name}"
        )


def _review(
    database: str, item_id: int, decision: Status, reason: str, kind: Kind = Kind.SIGNATURE
) -> None:
    saved = run(
        settings_for(database),
        lambda rt: rt.reviews.review(
            Subject(kind.value, item_id), decision, reason=reason, reviewer="cli"
        ),
    )
    typer.echo(f"{kind.value} {saved.id}: {saved.status.value}")


@app.command("approve")
def review_approve(
    sign_id: int,
    reply: Annotated[str, typer.Option("--reply", help="A note shown as ReviewReply.")] = "",
    kind: KindOption = Kind.SIGNATURE,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Approve a pending or filing signature (or a pending template)."""
    _review(database, sign_id, Status.APPROVED, reply, kind)


@app.command("file")
def review_file(sign_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Approve a pending signature into carrier filing (报备中)."""
    _review(database, sign_id, Status.FILING, "")


@app.command("reject")
def review_reject(
    sign_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why; shown to the applicant.")],
    kind: KindOption = Kind.SIGNATURE,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Reject a pending or filing signature (or a pending template) with a reason."""
    _review(database, sign_id, Status.REJECTED, reason, kind)
