"""Group commit on a SQLite file: concurrent writes share one COMMIT (one fsync), each in
its own savepoint; one write's failure never reaches another, and no write returns
before the COMMIT that holds it came back.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, text

from smssign.core import errors
from smssign.store import sqlite_direct
from smssign.store.database import Database, create_engine

T = TypeVar("T")

INSERT = text("INSERT INTO notes (id, body) VALUES (:id, :body)")


@pytest.fixture
def path(tmp_path: Path) -> Iterator[Path]:
    file = tmp_path / "group.db"
    with sqlite3.connect(file) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    yield file


def stored(path: Path) -> dict[int, str]:
    """What another process reading the file sees: only what was committed."""
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT id, body FROM notes").fetchall())


def count_commits(database: Database) -> list[str]:
    """Every COMMIT the writer connection runs, in order."""
    assert database.direct is not None
    seen: list[str] = []
    engine = database.direct.engines["writer"]

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(
            lambda sql: seen.append(sql) if sql.strip().upper() == "COMMIT" else None
        )

    return seen


async def write_note(database: Database, note_id: int, body: str, *, fail: bool = False) -> int:
    async with database.write() as conn:
        await conn.execute(INSERT, {"id": note_id, "body": body})
        if fail:
            raise ValueError(f"note {note_id} refused after its insert")
    return note_id


async def run_writers(path: Path, writers: Callable[[Database], list[Any]]) -> list[Any]:
    database = Database(create_engine(f"sqlite:///{path}"))
    try:
        return await asyncio.gather(*writers(database), return_exceptions=True)
    finally:
        await database.close()


def test_concurrent_writes_share_commits_and_all_are_stored(path: Path) -> None:
    commits: list[str] = []

    async def main() -> list[Any]:
        database = Database(create_engine(f"sqlite:///{path}"))
        seen = count_commits(database)
        try:
            results = await asyncio.gather(*(write_note(database, n, f"n{n}") for n in range(40)))
        finally:
            await database.close()
        commits.extend(seen)
        return results

    assert asyncio.run(main()) == list(range(40))
    assert stored(path) == {n: f"n{n}" for n in range(40)}
    # Forty writers arriving at once: the first commits alone, the rest join a few.
    assert 1 <= len(commits) < 10


def test_a_failing_write_rolls_back_only_itself(path: Path) -> None:
    outcomes = asyncio.run(
        run_writers(
            path,
            lambda db: [write_note(db, n, f"n{n}", fail=n in (3, 7)) for n in range(10)],
        )
    )
    assert [type(o).__name__ for o in outcomes] == [
        "ValueError" if n in (3, 7) else "int" for n in range(10)
    ]
    assert stored(path) == {n: f"n{n}" for n in range(10) if n not in (3, 7)}


def test_a_constraint_violation_in_one_write_leaves_the_others(path: Path) -> None:
    # Writers 1 and 2 insert the same id: the second fails, its neighbours do not.
    bodies = [(0, "a"), (1, "b"), (1, "c"), (2, "d")]
    outcomes = asyncio.run(
        run_writers(path, lambda db: [write_note(db, i, body) for i, body in bodies])
    )
    assert outcomes[0] == 0 and outcomes[1] == 1 and outcomes[3] == 2
    assert isinstance(outcomes[2], Exception)
    assert stored(path) == {0: "a", 1: "b", 2: "d"}


def test_no_write_returns_before_its_commit_is_durable(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    committing = threading.Event()
    real = sqlite_direct._in_thread

    async def held(call: Callable[[], T]) -> T:
        if getattr(call, "__name__", "") == "commit":

            def slow() -> T:
                committing.set()
                release.wait(10)
                return call()

            return await real(slow)
        return await real(call)

    monkeypatch.setattr(sqlite_direct, "_in_thread", held)

    async def main() -> None:
        database = Database(create_engine(f"sqlite:///{path}"))
        try:
            tasks = [asyncio.ensure_future(write_note(database, n, f"n{n}")) for n in range(5)]
            while not committing.is_set():
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            # The COMMIT is running: nobody has been answered, nothing is visible.
            assert not any(task.done() for task in tasks)
            assert stored(path) == {}
            release.set()
            assert await asyncio.gather(*tasks) == list(range(5))
        finally:
            release.set()
            await database.close()

    asyncio.run(main())
    assert stored(path) == {n: f"n{n}" for n in range(5)}


def test_a_failed_commit_fails_every_member_and_keeps_none(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sqlite_direct._in_thread
    failures = iter([True])

    async def failing(call: Callable[[], T]) -> T:
        if getattr(call, "__name__", "") == "commit" and next(failures, False):
            raise sqlite3.OperationalError("disk I/O error")
        return await real(call)

    monkeypatch.setattr(sqlite_direct, "_in_thread", failing)

    async def main() -> list[Any]:
        database = Database(create_engine(f"sqlite:///{path}"))
        try:
            first = await asyncio.gather(
                *(write_note(database, n, f"n{n}") for n in range(6)), return_exceptions=True
            )
            # The writer recovers: the next write opens a new transaction and commits.
            first.append(await write_note(database, 100, "after"))
            return first
        finally:
            await database.close()

    outcomes = asyncio.run(main())
    # Every member of the commit that failed is refused, and none of them is kept.
    assert all(isinstance(o, errors.Unavailable) for o in outcomes[:6] if not isinstance(o, int))
    refused = [n for n, o in enumerate(outcomes[:6]) if isinstance(o, errors.Unavailable)]
    assert refused
    assert outcomes[-1] == 100
    kept = stored(path)
    assert not set(refused) & set(kept)
    assert set(kept) == {n for n in range(6) if n not in refused} | {100}


def test_a_write_cancelled_while_its_commit_runs_is_still_committed_or_refused_whole(
    path: Path,
) -> None:
    async def main() -> None:
        database = Database(create_engine(f"sqlite:///{path}"))
        try:
            tasks = [asyncio.ensure_future(write_note(database, n, f"n{n}")) for n in range(4)]
            await asyncio.sleep(0)
            tasks[1].cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Everyone else still gets their answer; later writes still go through.
            assert await write_note(database, 9, "later") == 9
        finally:
            await database.close()

    asyncio.run(main())
    kept = stored(path)
    assert {0, 2, 3, 9} <= set(kept)


def test_a_lone_failing_write_leaves_the_database_free_for_other_processes(path: Path) -> None:
    async def main() -> None:
        database = Database(create_engine(f"sqlite:///{path}"))
        try:
            with pytest.raises(ValueError):
                await write_note(database, 1, "refused", fail=True)
            await asyncio.sleep(0.05)
            # The CLI, another worker: its write must not wait for this process.
            other = sqlite3.connect(path, timeout=1, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("INSERT INTO notes (id, body) VALUES (2, 'cli')")
                other.execute("COMMIT")
            finally:
                other.close()
        finally:
            await database.close()

    asyncio.run(main())
    assert stored(path) == {2: "cli"}
