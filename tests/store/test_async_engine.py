"""SQLAlchemy's asyncio engine is loaded without its ORM, and the ORM's parts still work."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import smssign.store.repository
print("orm loaded:", "sqlalchemy.orm" in sys.modules)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
import sqlalchemy.ext.asyncio as package
engine = create_async_engine("sqlite+aiosqlite://")
print("same engine class:", type(engine) is AsyncEngine is package.engine.AsyncEngine)
print("session:", AsyncSession.__module__)
try:
    package.no_such_name
except AttributeError:
    print("unknown names: AttributeError")
"""


def run(source: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.splitlines()


def test_the_store_loads_without_the_orm_and_its_session_is_still_there() -> None:
    assert run(PROBE) == [
        "orm loaded: False",
        "same engine class: True",
        "session: sqlalchemy.ext.asyncio.session",
        "unknown names: AttributeError",
    ]
