"""Databases for the benchmarks: a small one per run, and the scale ones, built once and cached.

The small database is made through smssign's own services (accounts, add, review), so
every row is exactly what the API would have written. The scale databases hold up to a
million signatures: a few real accounts are made through the services (their secrets are
kept in a manifest beside the cache), and everything else is bulk-inserted with
SQLAlchemy Core `executemany` into the schema of smssign.store.tables:

- accounts of 100 signatures each, every account with its three credentials, sealed
  under the database's master key like real ones;
- signatures interleaved across accounts (signature n belongs to account n mod A), as
  they would be after years of customers adding them, so that one account's page is
  spread over the whole table; 10 % international, 10 % pending, 5 % rejected;
- one application (the audit trail row) per signature.

A cache entry is a manifest file under the bench data directory; it is trusted only if
the database still holds the expected number of signatures.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from smssign.app.runtime import Runtime, default_providers, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.accounts import issued_json
from smssign.core import rules
from smssign.core.clock import SystemRandomness
from smssign.core.model import Account, Draft, Status, TemplateType
from smssign.core.templates import TemplateDraft
from smssign.store import tables as t
from smssign.store.keyring import (
    MasterKey,
    MasterKeys,
    load_master_keys,
    secret_context,
)

SEED_VERSION = 1
"""Bump when the shape of the scale data changes, so that old caches are rebuilt."""
PER_ACCOUNT = 100
REAL_ACCOUNTS = 10
BATCH = 20_000
DEFAULT_POSTGRESQL = "postgresql://127.0.0.1:5432/postgres"


@dataclass
class Fixture:
    """A seeded database and the accounts (with secrets) that the load will use."""

    database_url: str
    accounts: list[dict[str, Any]]
    modify_targets: list[tuple[int, int, str]] = field(default_factory=list)
    """(index into `accounts`, signature id, its name): pending signatures to modify."""
    send_targets: list[tuple[int, int, str]] = field(default_factory=list)
    """(index into `accounts`, approved template id, approved signature name): for SendSms."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment the server needs for this database (the master key for PostgreSQL)."""
    seeded_in: float | None = None
    """Seconds spent seeding; None when a cached database was reused."""


@asynccontextmanager
async def _runtime(database_url: str, data_dir: Path, keys: MasterKeys) -> AsyncIterator[Runtime]:
    settings = Settings(database_url=database_url, data_dir=data_dir, redis_url=None)
    async with open_runtime(settings, master_keys=keys) as runtime:
        yield runtime


async def seed_small(
    database_url: str, data_dir: Path, *, proof: bytes, accounts: int = 8, per_account: int = 10
) -> Fixture:
    """`accounts` accounts with `per_account` signatures each; the first of each is pending."""
    started = time.perf_counter()
    keys = load_master_keys(database_url, environ={})
    image = rules.load_image(proof, field="ProofImage")
    fixture = Fixture(database_url, [])
    async with _runtime(database_url, data_dir, keys) as runtime:
        for i in range(accounts):
            issued = await runtime.accounts.create(f"bench-{i}")
            fixture.accounts.append(issued_json(issued))
            for k in range(per_account):
                name = f"压测{i:02d}号{k:02d}"
                draft = Draft(
                    name=name,
                    sign_type=0,
                    document_type=0,
                    purpose=0,
                    proof_images=(image,),
                )
                change = await runtime.signatures.add(issued.account, draft, dialect="tencent_v3")
                if k == 0:
                    fixture.modify_targets.append((i, change.signature.id, name))
                elif k % 3:
                    await runtime.signatures.review(change.signature.id, Status.APPROVED)
                    if k == 1:
                        template_id = await _send_template(runtime, issued.account)
                        fixture.send_targets.append((i, template_id, name))
    fixture.seeded_in = time.perf_counter() - started
    return fixture


SEND_TEMPLATE = "您的验证码是{1}，{2}分钟内有效。"
SEND_BALANCE = 10**12
"""Message parts each bench account may send: the load never runs out."""


async def _send_template(runtime: Runtime, account: Account) -> int:
    """An approved verification template, and a balance the load cannot exhaust."""
    draft = TemplateDraft("验证码", SEND_TEMPLATE, TemplateType.VERIFICATION, False)
    added = await runtime.templates.add(account, draft, dialect="tencent_v3")
    await runtime.templates.review(added.template.id, Status.APPROVED)
    await runtime.repository.change_sending(account.id, balance=SEND_BALANCE, frequency=None)
    return added.template.id


# --- scale ------------------------------------------------------------------------------


def postgresql_url(admin_url: str, database: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


async def postgresql_reachable(admin_url: str) -> str | None:
    """None when PostgreSQL answers at `admin_url`, else why not."""
    import asyncpg

    try:
        conn = await asyncpg.connect(admin_url, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


async def _recreate_postgresql(admin_url: str, database: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def _signature_count(database_url: str, env: dict[str, str]) -> int | None:
    from smssign.store.repository import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(t.signatures))).scalar_one()
            )
    except Exception:
        # Missing file, dropped database, older schema: the cache is not usable.
        return None
    finally:
        await engine.dispose()


def postgresql_name(data_dir: Path, size: int) -> str:
    """One database per cache directory, so that two checkouts never share (or drop) one."""
    tag = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    return f"smssign_bench_{size}_v{SEED_VERSION}_{tag}"


async def drop_postgresql(admin_url: str, database_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        name = urlsplit(database_url).path.lstrip("/")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def scale_database(
    backend: str, size: int, data_dir: Path, *, postgresql_admin: str = DEFAULT_POSTGRESQL
) -> Fixture:
    """The cached database with `size` signatures, seeding it first if need be."""
    name = f"scale-{size}-v{SEED_VERSION}"
    manifest = data_dir / f"{backend}-{name}.json"
    data_dir.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        path = data_dir / f"{name}.db"
        database_url = f"sqlite:///{path}"
    else:
        database_url = postgresql_url(postgresql_admin, postgresql_name(data_dir, size))
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved["database_url"] == database_url:
            fixture = Fixture(database_url, saved["accounts"], env=saved["env"])
            if await _signature_count(database_url, fixture.env) == size:
                return fixture
        manifest.unlink()

    started = time.perf_counter()
    if backend == "sqlite":
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        keys = load_master_keys(database_url, environ={})
        env: dict[str, str] = {}
    else:
        await _recreate_postgresql(postgresql_admin, urlsplit(database_url).path.lstrip("/"))
        key = MasterKey.generate()
        keys = MasterKeys(key, source="environment")
        env = {"SMSSIGN_MASTER_KEY": key.text()}
    accounts = await _seed_scale(database_url, data_dir / f"{name}-blobs", keys, size)
    fixture = Fixture(database_url, accounts, env=env, seeded_in=time.perf_counter() - started)
    manifest.write_text(
        json.dumps({"database_url": database_url, "accounts": accounts, "env": env}, indent=1)
    )
    return fixture


async def _seed_scale(
    database_url: str, blobs: Path, keys: MasterKeys, size: int
) -> list[dict[str, Any]]:
    n_accounts = max(1, size // PER_ACCOUNT)
    n_real = min(REAL_ACCOUNTS, n_accounts)
    now = time.time()
    async with _runtime(database_url, blobs, keys) as runtime:
        real = [
            issued_json(await runtime.accounts.create(f"bench-scale-{i}")) for i in range(n_real)
        ]
        account_ids = [a["id"] for a in real]
        first_filler = max(account_ids) + 1
        account_ids += list(range(first_filler, first_filler + n_accounts - n_real))
        async with runtime.repository.engine.begin() as conn:
            fillers = account_ids[n_real:]
            await _insert(conn, t.accounts, _filler_accounts(fillers, now))
            await _insert(conn, t.credentials, _filler_credentials(fillers, keys, now))
            await _insert(conn, t.signatures, _signatures(account_ids, size, now))
            await _insert(conn, t.applications, _applications(account_ids, size, now))
            if conn.dialect.name == "postgresql":
                for table in ("accounts", "credentials", "signatures", "applications"):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        if runtime.repository.engine.dialect.name == "postgresql":
            # What autovacuum would have done long before a table reached this size.
            async with runtime.repository.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
    return real


async def _insert(conn: AsyncConnection, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            await conn.execute(insert(table), batch)
            batch = []
    if batch:
        await conn.execute(insert(table), batch)


def _filler_accounts(ids: list[int], now: float) -> Iterator[dict[str, Any]]:
    for account_id in ids:
        yield {
            "id": account_id,
            "name": f"bench-filler-{account_id}",
            "certification": "enterprise",
            "arrears": False,
            "ip_allow": [],
            "signature_quota": PER_ACCOUNT * 2,
            "created_at": now - 400 * 86400,
        }


def _filler_credentials(ids: list[int], keys: MasterKeys, now: float) -> Iterator[dict[str, Any]]:
    randomness = SystemRandomness()
    kinds = default_providers().kinds
    for account_id in ids:
        for kind in kinds:
            # Issued and kept at rest as the dialect declares, like AccountService does.
            plain_key_id, secret = kind.new(account_id, randomness)
            key_id = kind.stored_key_id(plain_key_id)
            sealed = keys.seal(secret, secret_context(kind.name, key_id)) if secret else ""
            yield {
                "account_id": account_id,
                "dialect": kind.name,
                "key_id": key_id,
                "secret": sealed,
                "created_at": now - 400 * 86400,
                "revoked_at": None,
            }


def _signature_fields(account_ids: list[int], sign_id: int) -> tuple[int, int, str, bool, Status]:
    n = len(account_ids)
    account_id = account_ids[(sign_id - 1) % n]
    k = (sign_id - 1) // n
    international = k % 10 == 9
    if k % 10 == 3:
        status = Status.PENDING
    elif k % 20 == 7:
        status = Status.REJECTED
    else:
        status = Status.APPROVED
    return account_id, k, f"规模签名{k:04d}", international, status


def _signatures(account_ids: list[int], size: int, now: float) -> Iterator[dict[str, Any]]:
    start = now - 365 * 86400
    step = 365 * 86400 / size
    for sign_id in range(1, size + 1):
        account_id, _, name, international, status = _signature_fields(account_ids, sign_id)
        at = start + sign_id * step
        reviewed = status is not Status.PENDING
        yield {
            "id": sign_id,
            "account_id": account_id,
            "name": name,
            "international": international,
            "sign_type": 0,
            "document_type": 0,
            "purpose": 0,
            "proof_images": [f"{sign_id:064x}"],
            "commission_image": None,
            "remark": "",
            "qualification_id": None,
            "extra": {},
            "status": status.value,
            "review_reply": "证明材料不清晰" if status is Status.REJECTED else "",
            "submitted_at": at,
            "reviewed_at": at + 3600 if reviewed else None,
            "created_at": at,
            "updated_at": at + 3600 if reviewed else at,
            "deleted_at": None,
            "version": 2 if reviewed else 1,
            "application_id": sign_id,
        }


def _applications(account_ids: list[int], size: int, now: float) -> Iterator[dict[str, Any]]:
    start = now - 365 * 86400
    step = 365 * 86400 / size
    for sign_id in range(1, size + 1):
        account_id, _, name, international, _ = _signature_fields(account_ids, sign_id)
        at = start + sign_id * step
        yield {
            "id": sign_id,
            "subject_kind": "signature",
            "subject_id": sign_id,
            "account_id": account_id,
            "kind": "add",
            "dialect": "tencent_v3",
            "snapshot": {
                "name": name,
                "international": international,
                "sign_type": 0,
                "document_type": 0,
                "purpose": 0,
                "proof_images": [f"{sign_id:064x}"],
                "status": "pending",
            },
            "created_at": at,
        }
