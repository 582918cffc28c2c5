"""A database written by release 0.1.0 opens with today's code, with all its data.

`fixtures/release-0.1.0.sqlite` was written through that release's own code paths (see
`fixtures/make_release_0_1_0.py`), and `release-0.1.0.json` holds every row as it stored
them. Here a copy is migrated on start, and every signature, application, review, event
and delivery is read back through the new code and compared with those rows; then the
migrated database takes new writes. The PostgreSQL test loads the same rows into a
database at revision 0002 and migrates that.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.services import open_backoffice
from smssign.blobs.filesystem import MemoryBlobs
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.model import SIGNATURE, Revision, Status, Subject, TemplateType
from smssign.core.templates import TemplateDraft
from smssign.store import migrate
from smssign.store.keyring import MasterKey, MasterKeys
from smssign.store.repository import create_engine
from tests.databases import create_database
from tests.services import postgres_admin_url

FIXTURES = Path(__file__).parent / "fixtures"
DATABASE = FIXTURES / "release-0.1.0.sqlite"
ROWS: dict[str, list[dict[str, Any]]] = json.loads(
    (FIXTURES / "release-0.1.0.json").read_text(encoding="utf-8")
)
MASTER_KEY = MasterKeys(MasterKey.from_bytes(bytes(range(32))))
"""The test key the fixture's credentials were sealed with."""
LATER = 1_790_100_000.0


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _check_everything_reads_back(runtime: Runtime) -> None:
    repository = runtime.repository
    async with open_backoffice(runtime) as backoffice:
        store = backoffice.store
        for row in ROWS["signatures"]:
            subject = Subject(SIGNATURE, row["id"])
            record = await store.record(subject)
            assert record is not None, row
            signature = record.signature
            assert record.deleted_at == row["deleted_at"]
            assert (
                signature.account_id,
                signature.name,
                signature.international,
                signature.sign_type,
                signature.document_type,
                signature.purpose,
                list(signature.proof_images),
                signature.commission_image,
                signature.remark,
                signature.qualification_id,
                dict(signature.extra),
                signature.status.value,
                signature.review_reply,
                signature.submitted_at,
                signature.reviewed_at,
                signature.created_at,
                signature.updated_at,
                signature.version,
                signature.application_id,
            ) == (
                row["account_id"],
                row["name"],
                bool(row["international"]),
                row["sign_type"],
                row["document_type"],
                row["purpose"],
                _json(row["proof_images"]),
                row["commission_image"],
                row["remark"],
                row["qualification_id"],
                _json(row["extra"]),
                row["status"],
                row["review_reply"],
                row["submitted_at"],
                row["reviewed_at"],
                row["created_at"],
                row["updated_at"],
                row["version"],
                row["application_id"],
            )
            applications = await repository.applications(subject)
            assert [
                (a.id, a.account_id, a.kind.value, a.dialect, dict(a.snapshot), a.created_at)
                for a in applications
            ] == [
                (
                    a["id"],
                    a["account_id"],
                    a["kind"],
                    a["dialect"],
                    _json(a["snapshot"]),
                    a["created_at"],
                )
                for a in ROWS["applications"]
                if a["signature_id"] == row["id"]
            ]
            assert all(a.subject == subject for a in applications)
            reviews = await store.reviews(subject)
            assert [
                (r.id, r.application_id, r.decision.value, r.reason, r.reviewer, r.created_at)
                for r in reviews
            ] == [
                (
                    r["id"],
                    r["application_id"],
                    r["decision"],
                    r["reason"],
                    r["reviewer"],
                    r["created_at"],
                )
                for r in ROWS["reviews"]
                if r["signature_id"] == row["id"]
            ]
            assert all(r.subject == subject for r in reviews)
            timeline = await backoffice.timeline(subject.id)
            assert timeline is not None
            assert {e.delivery.event_id for e in timeline.entries if e.delivery} == {
                d["event_id"] for d in ROWS["deliveries"] if d["signature_id"] == row["id"]
            }
        assert len(ROWS["applications"]) == sum(
            [len(await repository.applications(s["id"])) for s in ROWS["signatures"]]
        )

        events = await repository.events()
        assert [
            (e.id, e.account_id, e.type.value, e.subject, dict(e.payload), e.created_at)
            for e in events
        ] == [
            (
                e["id"],
                e["account_id"],
                e["type"],
                Subject(SIGNATURE, e["signature_id"]),
                _json(e["payload"]),
                e["created_at"],
            )
            for e in ROWS["events"]
        ]
        assert [e.signature_id for e in events] == [e["signature_id"] for e in ROWS["events"]]

        deliveries = await store.deliveries(limit=1000)
        assert sorted((d.id, d.event_id, d.status.value, d.attempts) for d in deliveries) == [
            (d["id"], d["event_id"], d["status"], d["attempts"]) for d in ROWS["deliveries"]
        ]
        assert [a.status_code for d in deliveries for a in await store.attempts(d.id)] == [
            503,
            200,
        ]

        accounts = await repository.accounts()
        assert [(a.id, a.name, a.signature_quota, a.arrears, a.ip_allow) for a in accounts] == [
            (1, "acme", 100, False, ()),
            (2, "个人用户", 7, True, ("10.0.0.0/8",)),
        ]
        for account in accounts:
            held = await repository.credentials(account.id)
            assert {c.dialect for c in held} == {"tencent", "legacy", "yunpian"}
            tencent = next(c for c in held if c.dialect == "tencent")
            found = await repository.authenticate("tencent", tencent.key_id)
            assert found is not None and found[1].id == account.id
        assert [q.name for q in await repository.qualifications(1)] == [
            "深圳市腾讯计算机系统有限公司"
        ]
        session, _ = await backoffice.operators.login("alice", "correct horse battery", None)
        assert session.operator.name == "alice"
        webhook = await backoffice.webhooks.get(1)
        assert webhook is not None and webhook.secret == "whsec_fixture_secret_1"


async def _check_new_writes(runtime: Runtime) -> None:
    """Ids go on from the old ones, and a migrated signature can be revised and reviewed
    without its images (they are reused by digest, not read back)."""
    acme = await runtime.accounts.get(1)
    change = await runtime.signatures.revise(
        acme, 6, Revision(name="Tencent2", remark="迁移后修改"), dialect="tencent_legacy"
    )
    assert change.application.id == len(ROWS["applications"]) + 1
    assert change.signature.proof_images == ()
    pending = await runtime.signatures.revise(acme, 1, Revision(remark="改"), dialect="yunpian")
    stored = next(s for s in ROWS["signatures"] if s["id"] == 1)
    assert list(pending.signature.proof_images) == json.loads(stored["proof_images"])
    assert pending.signature.commission_image == stored["commission_image"]
    approved = await runtime.signatures.review(1, Status.APPROVED, reviewer="alice")
    assert approved.version == stored["version"] + 2
    events = await runtime.repository.events(after=len(ROWS["events"]))
    assert [(e.id, e.type.value, e.subject) for e in events] == [
        (17, "signature.modified", Subject(SIGNATURE, 6)),
        (18, "signature.modified", Subject(SIGNATURE, 1)),
        (19, "signature.approved", Subject(SIGNATURE, 1)),
    ]


def _open(url: str, tmp_path: Path) -> Any:
    return open_runtime(
        Settings(database_url=url, data_dir=tmp_path),
        clock=FixedClock(LATER),
        randomness=SeededRandomness(3),
        blobs=MemoryBlobs(),
        master_keys=MASTER_KEY,
    )


def test_a_release_0_1_0_sqlite_database_migrates_with_all_its_data(tmp_path: Path) -> None:
    copy = tmp_path / "smssign.db"
    shutil.copyfile(DATABASE, copy)

    async def scenario() -> None:
        async with _open(f"sqlite:///{copy}", tmp_path) as runtime:
            await _check_everything_reads_back(runtime)
            await _check_new_writes(runtime)
        # And again after a restart, from the migrated file.
        async with _open(f"sqlite:///{copy}", tmp_path) as runtime:
            assert len(await runtime.repository.events()) == len(ROWS["events"]) + 3

    asyncio.run(scenario())


def test_a_release_0_1_0_postgresql_database_migrates_with_all_its_data(tmp_path: Path) -> None:
    url = create_database(postgres_admin_url())

    async def load() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn, conn.begin():
                await conn.run_sync(_load_release_0_1_0)
        finally:
            await engine.dispose()

    async def down_and_up_again() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn, conn.begin():
                await conn.run_sync(lambda sync: _downgrade(sync, "0002"))
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    async def scenario() -> None:
        await load()
        async with _open(url, tmp_path) as runtime:
            await _check_everything_reads_back(runtime)
            await _check_new_writes(runtime)
        await down_and_up_again()
        async with _open(url, tmp_path) as runtime:
            assert len(await runtime.repository.events()) == len(ROWS["events"]) + 3
            assert len(await runtime.repository.applications(1)) == 2

    asyncio.run(scenario())


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.downgrade(migrate.alembic_config(connection), revision)


def _load_release_0_1_0(connection: Connection) -> None:
    """The schema of revision 0002 with the fixture's rows, as 0.1.0 left them."""
    from alembic import command

    command.upgrade(migrate.alembic_config(connection), "0002")
    tables = sa.MetaData()
    tables.reflect(connection)
    for table in tables.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = [
            {
                column.name: _value(column, row[column.name])
                for column in table.columns
                if column.name in row
            }
            for row in ROWS[table.name]
        ]
        if rows:
            connection.execute(table.insert(), rows)
        if "id" in table.columns:
            connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
            )


def _value(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, sa.Boolean):
        return bool(value)
    if isinstance(column.type, sa.JSON):
        return json.loads(value)
    return value


def test_the_migration_goes_back_to_exactly_what_release_0_1_0_stored(tmp_path: Path) -> None:
    copy = tmp_path / "smssign.db"
    shutil.copyfile(DATABASE, copy)

    async def there_and_back() -> None:
        engine = create_engine(f"sqlite:///{copy}")
        try:
            await migrate.upgrade(engine)

            async with engine.connect() as conn, conn.begin():
                await conn.run_sync(lambda sync: _downgrade(sync, "0002"))
        finally:
            await engine.dispose()

    asyncio.run(there_and_back())
    connection = sqlite3.connect(copy)
    connection.row_factory = sqlite3.Row
    try:
        for table in ("signatures", "applications", "reviews", "events", "deliveries"):
            rows = [dict(r) for r in connection.execute(f"SELECT * FROM {table} ORDER BY 1")]
            assert rows == ROWS[table], table
    finally:
        connection.close()


def test_the_migrations_form_one_line() -> None:
    """Two branches each adding a revision on the same parent leave two heads, and then
    no database can start; the newest revision must be the only head."""
    assert migrate.head_revision() is not None


def test_a_migrated_release_0_1_0_database_takes_templates(tmp_path: Path) -> None:
    """Migration 0005 adds the templates table to a database that predates it: an account
    whose signature applications were stored by release 0.1.0 may apply for a template,
    which is reviewed and read back after a restart."""
    copy = tmp_path / "smssign.db"
    shutil.copyfile(DATABASE, copy)
    account_id = ROWS["applications"][0]["account_id"]

    async def scenario() -> None:
        async with _open(f"sqlite:///{copy}", tmp_path) as runtime:
            account = await runtime.accounts.get(account_id)
            draft = TemplateDraft("验证码", "验证码{1}", TemplateType.VERIFICATION, False)
            added = await runtime.templates.add(account, draft, dialect="tencent_v3")
            await runtime.templates.review(added.template.id, Status.APPROVED)
        async with _open(f"sqlite:///{copy}", tmp_path) as runtime:
            account = await runtime.accounts.get(account_id)
            (stored,) = await runtime.templates.describe(account, [added.template.id])
            assert (stored.content, stored.status) == ("验证码{1}", Status.APPROVED)

    asyncio.run(scenario())
