"""PostgreSQL specifics: plain URLs work, and nodes starting together migrate once."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

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
