"""PostgreSQL databases for test runs: a fresh one per server directory, dropped at the end.

With `SMSSIGN_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/test` (an admin URL; its
database is only used to issue CREATE and DROP DATABASE), every directory a test server
runs in gets its own `smssign_test_<random>` database, so modules never see each other's
rows; asking again for the same directory gives the same database, so a test can
restart a server on its data. The session drops them all when it ends.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from smssign.store.keyring import ENV_CURRENT, MasterKey

POSTGRES_ENV = "SMSSIGN_TEST_POSTGRES"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"

_by_directory: dict[Path, str] = {}
_created: list[str] = []


def admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def postgres_database_for(directory: Path, admin: str) -> str:
    """The URL of the database for `directory`, created on first use."""
    if directory not in _by_directory:
        _by_directory[directory] = create_database(admin)
    return _by_directory[directory]


def create_database(admin: str) -> str:
    """CREATE a fresh database and return its URL; it is dropped with the others."""
    name = f"smssign_test_{secrets.token_hex(6)}"
    asyncio.run(_execute(admin, f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    _created.append(url)
    ensure_master_key()
    return url


def drop_test_databases() -> None:
    admin = admin_url() or DEFAULT_ADMIN_URL
    while _created:
        name = make_url(_created.pop()).database
        # FORCE ends connections a killed server or a leaked engine left behind.
        asyncio.run(_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    _by_directory.clear()


def ensure_master_key() -> None:
    """PostgreSQL deployments need SMSSIGN_MASTER_KEY; one key serves the whole run.

    Set in this process's environment, which every server the tests start inherits.
    """
    os.environ.setdefault(ENV_CURRENT, MasterKey.generate().text())


async def _execute(admin: str, statement: str) -> None:
    connection = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
