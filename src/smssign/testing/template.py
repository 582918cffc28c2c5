"""Fresh test databases by copying one migrated template, instead of migrating each.

Running the migrations costs most of a mock's start; a test suite starts a mock or a
server per test. The first one in a process migrates an empty SQLite database once;
every later one copies that file, and the start-up migration then finds nothing to do.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_template: Path | None = None

DATABASE_FILE = "smssign.db"


async def fresh_database(directory: Path) -> str:
    """The URL of an empty, migrated SQLite database in `directory`."""
    template = await _ensure_template()
    target = directory / DATABASE_FILE
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


async def _ensure_template() -> Path:
    global _template
    # Blocking the caller's private loop for the one-time build is fine: nothing else
    # runs on it yet.
    with _lock:
        if _template is None:
            _template = await _build()
        return _template


async def _build() -> Path:
    from smssign.store import migrate
    from smssign.store.repository import create_engine

    directory = Path(tempfile.mkdtemp(prefix="smssign-template-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / DATABASE_FILE
    engine = create_engine(f"sqlite:///{path}")
    try:
        await migrate.upgrade(engine)
    finally:
        # Closing the last connection checkpoints the WAL into the file we copy.
        await engine.dispose()
    return path
