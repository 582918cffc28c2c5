"""PostgreSQL specifics: plain URLs work, nodes starting together migrate once, and a
write waits for another node's row lock no longer than the lock timeout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from smssign.app.runtime import open_runtime
from smssign.app.settings import Settings
from smssign.core import errors
from smssign.store import migrate
from smssign.store.repository import async_url, create_engine
from tests.databases import create_database
from tests.services import postgres_admin_url


def test_plain_postgresql_urls_run_on_asyncpg() -> None:
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("postgres://u@h:5433/db") == "postgresql+asyncpg://u@h:5433/db"


def test_two_nodes_migrating_at_once_both_start() -> None:
    url = create_database(postgres_admin_url())

    async def race() -> list[str]:
        engines = [create_engine(url) for _ in range(4)]
        try:
            await asyncio.gather(*(migrate.upgrade(engine) for engine in engines))
            async with engines[0].connect() as conn:
                versions = (
                    await conn.execute(text("SELECT version_num FROM alembic_version"))
                ).all()
            return [row[0] for row in versions]
        finally:
            for engine in engines:
                await engine.dispose()

    # Without the advisory lock the losers fail with duplicate tables.
    assert len(asyncio.run(race())) == 1


def test_a_write_waits_for_a_row_lock_no_longer_than_the_lock_timeout(tmp_path: Path) -> None:
    url = create_database(postgres_admin_url())
    settings = Settings(database_url=url, data_dir=tmp_path, database_lock_timeout=1.0)

    async def scenario() -> None:
        async with open_runtime(settings) as runtime:
            account = (await runtime.accounts.create("locked-account")).account
            other_node = create_engine(url)
            try:
                async with other_node.connect() as conn, conn.begin():
                    await conn.execute(
                        text("SELECT id FROM accounts WHERE id = :id FOR UPDATE"),
                        {"id": account.id},
                    )
                    started = time.monotonic()
                    with pytest.raises(errors.Unavailable):
                        await runtime.accounts.update(account.id, arrears=True)
                    assert time.monotonic() - started < 1.0 + 3
            finally:
                await other_node.dispose()
            assert not (await runtime.accounts.get(account.id)).arrears
            assert (await runtime.accounts.update(account.id, arrears=True)).arrears

    asyncio.run(scenario())
