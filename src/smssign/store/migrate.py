"""Applies the Alembic migrations on start, on the same engine the server uses.

A database already at the newest revision (every start but the first after an upgrade)
is recognised with one query, without importing Alembic, which is a good part of a cold
start.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_KEY = 0x736D737369676E
"""PostgreSQL advisory lock id held while migrating ("smssign" in ASCII)."""


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


_REVISION = re.compile(r"^revision\s*=\s*[\"'](?P<id>[^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*[\"'](?P<id>[^\"']+)[\"']", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest revision id, read from the migration files; None if it is not one."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if (found := _REVISION.search(source)) is not None:
            revisions.add(found["id"])
        if (down := _DOWN.search(source)) is not None:
            parents.add(down["id"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def at_head(engine: AsyncEngine) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        async with engine.connect() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return False  # no alembic_version table: a new database
    return [row[0] for row in current] == [head]


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already."""
    if await at_head(engine):
        return

    def run(connection: Connection) -> None:
        from alembic import command

        command.upgrade(alembic_config(connection), "head")

    async with engine.connect() as conn:
        conn = await conn.execution_options(smssign_write=True)
        async with conn.begin():
            if conn.dialect.name == "postgresql":
                # Nodes starting together take turns, however long a migration takes (the
                # sessions' lock_timeout bounds requests, not this); the lock ends with
                # the transaction.
                await conn.execute(text("SET LOCAL lock_timeout = 0"))
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            await conn.run_sync(run)
