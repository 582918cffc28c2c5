"""`smssign accounts`: create tenants, change their policy, rotate their credentials."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from smssign.app.runtime import Runtime
from smssign.app.settings import DEFAULT_DATABASE
from smssign.backoffice.accounts import issued_json
from smssign.cli.common import (
    PROVIDERS,
    DatabaseOption,
    JsonOption,
    run,
    settings_for,
)
from smssign.core.accounts import Issued
from smssign.core.model import Certification

app = typer.Typer(help="Create accounts, change their policy, rotate credentials.")

HASHED = tuple(kind for kind in PROVIDERS.kinds if kind.hashed)
"""Credential kinds whose key is kept as a hash (and maybe a sealed copy that signs pushes):
shown when issued, never again."""

FREQUENCY_NAMES = tuple(
    dict.fromkeys(
        limit.name for limits in PROVIDERS.frequency_limits().values() for limit in limits
    )
)
"""Every sending limit the providers declare (per number, or a quota of the whole account),
by the name an account changes it by."""

if TYPE_CHECKING:
    KindName = str
else:
    # An enum, so that the option lists the choices and refuses others as before.
    KindName = StrEnum("KindName", {name: name for name in PROVIDERS.kind_names})

_SHOW_HELP = "Show an account and its active credentials." + "".join(
    f"\n\nThe {kind.display} {kind.key_field} is stored as a hash"
    + (" (and a sealed copy that only signs pushes)" if kind.sealed_copy else " only")
    + ", so it is shown when issued (create, rotate) and never again: here it is null, "
    "with its SHA-256 to compare against."
    for kind in HASHED
)


@app.command("create")
def accounts_create(
    name: str,
    individual: Annotated[
        bool, typer.Option("--individual", help="Individually certified (the API refuses it).")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an account with credentials for every dialect; secrets are printed once."""
    issued = run(settings_for(database), lambda rt: rt.accounts.create(name, individual=individual))
    _print_issued(issued, as_json)


@app.command("show", help=_SHOW_HELP)
def accounts_show(
    account_id: int, as_json: JsonOption = False, database: DatabaseOption = DEFAULT_DATABASE
) -> None:
    """Show an account and its active credentials (see _SHOW_HELP)."""
    issued = run(settings_for(database), lambda rt: rt.accounts.issued(account_id))
    _print_issued(issued, as_json)


@app.command("set")
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
    balance: Annotated[
        int | None,
        typer.Option("--balance", min=0, help="Message parts the account may still send."),
    ] = None,
    frequency: Annotated[
        list[str] | None,
        typer.Option(
            "--frequency",
            help="NAME=COUNT: change a sending limit, per number or an account-wide quota "
            "(0 turns it off); repeat "
            f"for more. Names: {', '.join(FREQUENCY_NAMES)}.",
        ),
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Change an account's certification, arrears flag, IP allow-list, quota, balance or
    sending frequency limits."""
    changes = _frequency_changes(frequency or [])
    certification = None
    if individual is not None:
        certification = Certification.INDIVIDUAL if individual else Certification.ENTERPRISE
    allow = [] if clear_ip_allow else ip_allow

    account = run(
        settings_for(database),
        lambda rt: rt.accounts.update(
            account_id,
            certification=certification,
            arrears=arrears,
            ip_allow=allow,
            signature_quota=quota,
        ),
    )
    sending = run(
        settings_for(database),
        lambda rt: rt.repository.change_sending(account_id, balance=balance, frequency=changes),
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
                    "balance": sending.balance,
                    "frequency_limits": dict(sending.frequency),
                }
            )
        )
    else:
        limits = ",".join(f"{k}={v}" for k, v in sorted(sending.frequency.items()))
        typer.echo(
            f"account {account.id}: {account.certification.value}, "
            f"arrears={'yes' if account.arrears else 'no'}, "
            f"ip-allow={','.join(account.ip_allow) or 'any'}, quota={account.signature_quota}, "
            f"balance={sending.balance}, frequency={limits or 'defaults'}"
        )


def _frequency_changes(items: list[str]) -> dict[str, int]:
    changes: dict[str, int] = {}
    for item in items:
        name, _, count = item.partition("=")
        if name not in FREQUENCY_NAMES:
            raise typer.BadParameter(
                f"unknown limit {name!r}; one of {', '.join(FREQUENCY_NAMES)}",
                param_hint="--frequency",
            )
        if not count.isdigit():
            raise typer.BadParameter(f"{item!r}: NAME=COUNT, COUNT >= 0", param_hint="--frequency")
        changes[name] = int(count)
    return changes


@app.command("rotate")
def accounts_rotate(
    account_id: int,
    dialect: Annotated[
        KindName, typer.Option("--dialect", help=f"Which credential: {PROVIDERS.spelled()}.")
    ],
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Issue a new credential for one dialect and revoke the old one."""

    kind = str(dialect)

    async def rotate(rt: Runtime) -> Issued:
        fresh = await rt.accounts.rotate(account_id, kind)
        issued = await rt.accounts.issued(account_id)
        # The new credential as issued: a bearer key is readable only now.
        return Issued(issued.account, {**issued.credentials, kind: fresh})

    issued = run(settings_for(database), rotate)
    _print_issued(issued, as_json)


def _print_issued(issued: Issued, as_json: bool) -> None:
    data = issued_json(issued, PROVIDERS)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(f"account {data['id']} {data['name']} ({data['certification']})")
    for dialect in PROVIDERS.kind_names:
        if dialect in data:
            pairs = ", ".join(f"{k}={v}" for k, v in data[dialect].items() if v is not None)
            typer.echo(f"  {dialect}: {pairs}")
    for kind in HASHED:
        if data.get(kind.name, {}).get(kind.key_field, "") is None:
            typer.echo(
                f"  (the {kind.display} {kind.key_field} is stored as a hash and was shown "
                f"only when issued; `smssign accounts rotate {data['id']} --dialect "
                f"{kind.name}` issues a new one)"
            )
