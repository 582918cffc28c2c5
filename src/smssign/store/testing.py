"""SQL that only test setups use: erase every row, and read every row back as JSON.

Behind `smssign serve --testing` (`POST /_smssign/reset`, `GET /_smssign/state`) and the
in-process mock. A production node never calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from smssign.core.providers import CredentialKind
from smssign.store import tables as t
from smssign.store.callers import bump
from smssign.store.database import Database

KEPT = frozenset({"server_keys"})
"""Server configuration, not test state: the console's cookie key survives a reset."""

INSPECTED: tuple[tuple[str, Table], ...] = (
    ("accounts", t.accounts),
    ("qualifications", t.qualifications),
    ("signatures", t.signatures),
    ("templates", t.templates),
    ("applications", t.applications),
    ("reviews", t.reviews),
    ("events", t.events),
)


def _with_signature_id(row: dict[str, Any]) -> dict[str, Any]:
    """Rows keyed by a review subject also show `signature_id`, as they did before kinds."""
    if "subject_kind" in row:
        row["signature_id"] = row["subject_id"] if row["subject_kind"] == "signature" else None
    return row


RESET_LOCK_WAIT = "60s"


async def erase(engine: AsyncEngine) -> None:
    """Delete every row of every smssign table but `KEPT`, in one transaction.

    Ids start again from 1 afterwards, as on a fresh database. Written through the
    process's one writer (store/database.py), like every other write.
    """
    database = Database.of(engine)
    async with database.query() as conn:
        present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    doomed = [
        table
        for table in reversed(t.metadata.sorted_tables)
        if table.name in present and table.name not in KEPT
    ]
    async with database.write() as writer:
        if engine.dialect.name == "postgresql":
            # TRUNCATE waits for every open read of these tables (the server's workers
            # read them all the time); a reset may wait for them longer than the bounded
            # lock wait that keeps API writes from outliving their callers.
            await writer.execute(text(f"SET LOCAL lock_timeout = '{RESET_LOCK_WAIT}'"))
            names = ", ".join(f'"{table.name}"' for table in doomed)
            await writer.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            await bump(writer, postgresql=True)
            return
        for table in doomed:
            await writer.execute(delete(table))
        # Credentials the server still holds in memory are gone now (store/callers.py).
        await bump(writer, postgresql=False)
        if "sqlite_sequence" in present:
            await writer.execute(text("DELETE FROM sqlite_sequence"))


async def dump(
    engine: AsyncEngine, kinds: Sequence[CredentialKind]
) -> dict[str, list[dict[str, Any]]]:
    """Accounts, qualifications, signatures and templates (deleted ones too),
    applications, reviews and events, each oldest first, as the rows hold them. Secrets
    are left out: an account shows only the public halves of its active credentials, of
    the `kinds` given."""
    by_name = {kind.name: kind for kind in kinds}
    out: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for name, table in INSPECTED:
            rows = (await conn.execute(select(table).order_by(table.c.id))).all()
            # Column names come back as quoted_name, a str subclass JSON encoders refuse.
            out[name] = [
                _with_signature_id({str(k): v for k, v in row._mapping.items()}) for row in rows
            ]
        c = t.credentials.c
        active = (
            await conn.execute(
                select(c.account_id, c.dialect, c.key_id)
                .where(c.revoked_at.is_(None))
                .order_by(c.id)
            )
        ).all()
    public: dict[int, dict[str, Any]] = {}
    for account_id, dialect, key_id in active:
        held = public.setdefault(account_id, {})
        kind = by_name.get(dialect)
        if kind is not None:
            # A bearer key shows nothing: only its hash is stored, and it was shown once.
            held[dialect] = kind.public(key_id)
    for account in out["accounts"]:
        account["ip_allow"] = list(account["ip_allow"])
        account["arrears"] = bool(account["arrears"])
        account["credentials"] = public.get(account["id"], {})
    for item in [*out["signatures"], *out["templates"]]:
        item["international"] = bool(item["international"])
    return out
