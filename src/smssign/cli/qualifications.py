"""`smssign qualifications`: mainland qualifications (资质) that signatures refer to."""

from __future__ import annotations

from typing import Annotated

import typer

from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import (
    DatabaseOption,
    run,
    settings_for,
)
from smssign.core.model import QualificationStatus

app = typer.Typer(help="Mainland qualifications (资质) that signatures refer to.")


@app.command("add")
def qualifications_add(
    account_id: int,
    name: str,
    status: Annotated[
        QualificationStatus, typer.Option("--status", help="pending, approved or rejected.")
    ] = QualificationStatus.APPROVED,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Give an account a qualification; prints its id (use as QualificationId)."""
    q = run(
        settings_for(database), lambda rt: rt.accounts.add_qualification(account_id, name, status)
    )
    typer.echo(str(q.id))
