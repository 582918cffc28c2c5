"""The `smssign` command: run the server, manage accounts, review signatures.

Command names, flags and JSON keys here are a contract other tools rely on.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from smssign.core import errors
from smssign.core.accounts import Issued
from smssign.core.model import Certification, Dialect, QualificationStatus, Signature, Status
from smssign.runtime import Runtime, open_runtime
from smssign.settings import DEFAULT_DATABASE, Settings, data_dir_from_env

T = TypeVar("T")

app = typer.Typer(
    help="smssign: a self-hostable SMS signature service speaking Tencent Cloud and Yunpian APIs.",
    no_args_is_help=True,
    add_completion=False,
)
accounts_app = typer.Typer(help="Create accounts, change their policy, rotate credentials.")
review_app = typer.Typer(help="Review signatures: list, approve, start filing, reject.")
qualifications_app = typer.Typer(help="Mainland qualifications that Tencent signatures refer to.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(review_app, name="review")
app.add_typer(qualifications_app, name="qualifications")

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


def _run(settings: Settings, action: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_runtime(settings) as runtime:
            return await action(runtime)

    try:
        return asyncio.run(main())
    except errors.SmssignError as exc:
        typer.echo(f"error: {exc or type(exc).__name__}", err=True)
        raise typer.Exit(1) from exc


def _settings(database: str, data_dir: Path | None = None) -> Settings:
    return Settings(database_url=database, data_dir=data_dir or data_dir_from_env())


def issued_json(issued: Issued) -> dict[str, Any]:
    """The `accounts create --json` shape (a contract)."""
    account = issued.account
    out: dict[str, Any] = {
        "id": account.id,
        "name": account.name,
        "certification": account.certification.value,
    }
    creds = issued.credentials
    if Dialect.TENCENT in creds:
        c = creds[Dialect.TENCENT]
        out["tencent"] = {"secret_id": c.key_id, "secret_key": c.secret}
    if Dialect.LEGACY in creds:
        c = creds[Dialect.LEGACY]
        out["legacy"] = {"sdkappid": int(c.key_id), "appkey": c.secret}
    if Dialect.YUNPIAN in creds:
        out["yunpian"] = {"apikey": creds[Dialect.YUNPIAN].key_id}
    return out


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


# --- serve ----------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: DatabaseOption = DEFAULT_DATABASE,
    data_dir: DataDirOption = Path("./smssign-data"),
    no_rate_limit: Annotated[
        bool, typer.Option("--no-rate-limit", help="Turn the per-account rate limits off.")
    ] = False,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Create a demo account once and print its credentials."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the server (migrations are applied on start)."""
    import uvicorn

    from smssign.server import create_app

    settings = Settings(
        database_url=database, data_dir=data_dir, rate_limit_enabled=not no_rate_limit
    )
    if demo:
        from smssign.demo import ensure_demo, instructions

        made = _run(settings, ensure_demo)
        typer.echo(instructions(made, f"http://{_display_host(host)}:{port}"))
        sys.stdout.flush()
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level=log_level,
        access_log=False,
    )


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


# --- accounts -------------------------------------------------------------------------


@accounts_app.command("create")
def accounts_create(
    name: str,
    individual: Annotated[
        bool, typer.Option("--individual", help="Individually certified (the API refuses it).")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an account with credentials for every dialect; secrets are printed once."""
    issued = _run(_settings(database), lambda rt: rt.accounts.create(name, individual=individual))
    _print_issued(issued, as_json)


@accounts_app.command("show")
def accounts_show(
    account_id: int, as_json: JsonOption = False, database: DatabaseOption = DEFAULT_DATABASE
) -> None:
    """Show an account and its active credentials."""
    issued = _run(_settings(database), lambda rt: rt.accounts.issued(account_id))
    _print_issued(issued, as_json)


@accounts_app.command("set")
def accounts_set(
    account_id: int,
    arrears: Annotated[
        bool | None, typer.Option("--arrears/--no-arrears", help="Suspend for unpaid bills.")
    ] = None,
    individual: Annotated[
        bool | None,
        typer.Option("--individual/--enterprise", help="Change the certification."),
    ] = None,
    ip_allow: Annotated[
        list[str] | None,
        typer.Option("--ip-allow", help="Allowed caller network (CIDR); repeat for more."),
    ] = None,
    clear_ip_allow: Annotated[
        bool, typer.Option("--clear-ip-allow", help="Remove the IP allow-list.")
    ] = False,
    quota: Annotated[
        int | None, typer.Option("--quota", help="Most signatures the account may hold.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Change an account's certification, arrears flag, IP allow-list or quota."""
    import ipaddress

    for network in ip_allow or []:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise typer.BadParameter(f"{network!r} is not an IP network") from exc
    certification = None
    if individual is not None:
        certification = Certification.INDIVIDUAL if individual else Certification.ENTERPRISE
    allow = [] if clear_ip_allow else ip_allow

    account = _run(
        _settings(database),
        lambda rt: rt.accounts.update(
            account_id,
            certification=certification,
            arrears=arrears,
            ip_allow=allow,
            signature_quota=quota,
        ),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": account.id,
                    "name": account.name,
                    "certification": account.certification.value,
                    "arrears": account.arrears,
                    "ip_allow": list(account.ip_allow),
                    "signature_quota": account.signature_quota,
                }
            )
        )
    else:
        typer.echo(
            f"account {account.id}: {account.certification.value}, "
            f"arrears={'yes' if account.arrears else 'no'}, "
            f"ip-allow={','.join(account.ip_allow) or 'any'}, quota={account.signature_quota}"
        )


@accounts_app.command("rotate")
def accounts_rotate(
    account_id: int,
    dialect: Annotated[
        Dialect, typer.Option("--dialect", help="Which credential: tencent, legacy or yunpian.")
    ],
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Issue a new credential for one dialect and revoke the old one."""

    async def rotate(rt: Runtime) -> Issued:
        await rt.accounts.rotate(account_id, dialect)
        return await rt.accounts.issued(account_id)

    issued = _run(_settings(database), rotate)
    _print_issued(issued, as_json)


def _print_issued(issued: Issued, as_json: bool) -> None:
    data = issued_json(issued)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(f"account {data['id']} {data['name']} ({data['certification']})")
    for dialect in ("tencent", "legacy", "yunpian"):
        if dialect in data:
            pairs = ", ".join(f"{k}={v}" for k, v in data[dialect].items())
            typer.echo(f"  {dialect}: {pairs}")


# --- qualifications -------------------------------------------------------------------


@qualifications_app.command("add")
def qualifications_add(
    account_id: int,
    name: str,
    status: Annotated[
        QualificationStatus, typer.Option("--status", help="pending, approved or rejected.")
    ] = QualificationStatus.APPROVED,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Give an account a qualification; prints its id (use as QualificationId)."""
    q = _run(
        _settings(database), lambda rt: rt.accounts.add_qualification(account_id, name, status)
    )
    typer.echo(str(q.id))


# --- review ---------------------------------------------------------------------------


@review_app.command("list")
def review_list(
    status: Annotated[
        Status, typer.Option("--status", help="pending, filing, approved or rejected.")
    ] = Status.PENDING,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Signatures in one status, oldest submission first."""
    found = _run(_settings(database), lambda rt: rt.repository.signatures_with_status([status]))
    if as_json:
        typer.echo(json.dumps([signature_json(s) for s in found], ensure_ascii=False))
        return
    for s in found:
        scope = "international" if s.international else "mainland"
        typer.echo(f"{s.id}\taccount {s.account_id}\t{s.status.value}\t{scope}\t{s.name}")


def _review(database: str, sign_id: int, decision: Status, reason: str) -> None:
    signature = _run(
        _settings(database),
        lambda rt: rt.signatures.review(sign_id, decision, reason=reason, reviewer="cli"),
    )
    typer.echo(f"signature {signature.id}: {signature.status.value}")


@review_app.command("approve")
def review_approve(
    sign_id: int,
    reply: Annotated[str, typer.Option("--reply", help="A note shown as ReviewReply.")] = "",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Approve a pending or filing signature."""
    _review(database, sign_id, Status.APPROVED, reply)


@review_app.command("file")
def review_file(sign_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Approve a pending signature into carrier filing (报备中)."""
    _review(database, sign_id, Status.FILING, "")


@review_app.command("reject")
def review_reject(
    sign_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why; shown to the applicant.")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Reject a pending or filing signature with a reason."""
    _review(database, sign_id, Status.REJECTED, reason)


def main() -> None:
    app()
