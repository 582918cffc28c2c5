"""SQLite without a thread round trip per statement: reads on the event loop, writes queued.

aiosqlite runs every DBAPI call (cursor, execute, fetch, BEGIN, ROLLBACK) on a worker
thread and wakes the event loop for each result. One indexed SELECT through SQLAlchemy
takes eight to ten such round trips, about half a millisecond of CPU, ten times the query
itself, and that was most of the cost of a DescribeSmsSignList. So for a SQLite file the
repository's hot paths use a plain sqlite3 connection (through a synchronous SQLAlchemy
engine on the same file, configured the same way) directly on the event loop thread: an
indexed read on a WAL database never waits for a lock and takes tens of microseconds.

Reads use one long-lived read-only connection per thread (checking a connection out of
a pool and SQLAlchemy's begin/rollback events cost more than an indexed query), with a
plain BEGIN and ROLLBACK around each read so its statements share one snapshot.

Writes use one long-lived connection per thread too. Writers of this process queue on
an asyncio.Lock instead of on SQLite's busy handler, which polls in sleeps of up to
100 ms and gave writes a long latency tail; so BEGIN IMMEDIATE normally gets the lock at
once, and only waits, on a thread, while another process (the CLI, another worker)
holds it. COMMIT, which waits for fsync, always runs on a thread.

Group commit: one fsync costs about a millisecond, far more than a write's statements,
so writers that queue while a COMMIT runs share the next one. The first of them opens
the transaction (BEGIN IMMEDIATE) and schedules a committer behind everyone queued at
that moment; each writer's block runs in its own SAVEPOINT, and a block that raises is
rolled back to it, so no writer sees another's failure. Each write returns only after the
COMMIT that holds it came back: nothing is acknowledged before it is durable, and a
COMMIT that fails fails every write in it (none was acknowledged; none is kept).
`synchronous=FULL` is unchanged.

Every write has one deadline, counted from when it asks: the wait in this process's
queue and the wait for another process's lock together stay within it. A write that
misses it raises WriteLockTimeout before it has run a statement, so it is never applied
later: nothing of it stays queued once its caller has been told it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
"""How long a statement other than a write's BEGIN waits for another process's lock."""


class WriteLockTimeout(Exception):
    """A write did not get the database's write lock before its deadline; it ran nothing."""


class Executor(Protocol):
    """What the repository asks of a connection: an AsyncConnection or a DirectConnection."""

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]: ...


class DirectConnection:
    """A synchronous connection behind the awaitable `execute` the repository calls."""

    __slots__ = ("sync",)

    def __init__(self, sync: Connection) -> None:
        self.sync = sync

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        # Runs to completion without yielding to the loop: nothing else touches this
        # connection in between.
        return self.sync.execute(statement, parameters)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A prebuilt statement compiled once for the driver: its SQL, where each parameter
    comes from, and how each result column is converted (JSON, booleans)."""

    sql: str
    names: tuple[str, ...]
    fixed: Mapping[str, Any]
    binds: Mapping[str, Callable[[Any], Any]]
    results: tuple[Callable[[Any], Any] | None, ...]


_PLANS: dict[int, tuple[Executable, _Plan | None]] = {}
MOST_PLANS = 512
"""Plans are for the module-level statements of the hot paths; a bound keeps a statement
built per call from growing the cache."""


def _plan(statement: Executable, dialect: Dialect) -> _Plan | None:
    found = _PLANS.get(id(statement))
    if found is not None and found[0] is statement:
        return found[1]
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = compiled.positiontup
    plan = None
    if names is not None and not any(b.expanding for b in compiled.binds.values()):
        result_columns = getattr(compiled, "_result_columns", None) or []
        plan = _Plan(
            sql=compiled.string,
            names=tuple(names),
            fixed={n: b.value for n, b in compiled.binds.items() if not b.required},
            binds=dict(compiled._bind_processors),
            results=tuple(c.type._cached_result_processor(dialect, None) for c in result_columns),
        )
    if len(_PLANS) < MOST_PLANS:
        _PLANS[id(statement)] = (statement, plan)
    return plan


async def fetch(
    conn: Executor, statement: Executable, parameters: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """The rows of a prebuilt read, as sequences in the statement's column order.

    On a direct SQLite connection the statement runs on the driver itself, without
    SQLAlchemy's execution context and result objects (most of the cost of an indexed
    query); the values are converted by the same type processors SQLAlchemy would use.
    Elsewhere (PostgreSQL, SQLite in memory) through SQLAlchemy.
    """
    params = parameters or {}
    if isinstance(conn, DirectConnection):
        plan = _plan(statement, conn.sync.dialect)
        if plan is not None:
            values = []
            for name in plan.names:
                value = params[name] if name in params else plan.fixed[name]
                convert = plan.binds.get(name)
                values.append(convert(value) if convert is not None else value)
            raw: Any = conn.sync.connection.driver_connection
            found = raw.execute(plan.sql, values).fetchall()
            results = plan.results
            if any(results):
                return [
                    tuple(v if f is None else f(v) for f, v in zip(results, row, strict=True))
                    for row in found
                ]
            return found  # type: ignore[no-any-return]
    return list((await conn.execute(statement, params)).all())


async def _in_thread(call: Callable[[], T]) -> T:
    """Run `call` on a thread; if our task is cancelled, still wait for it to finish,
    because the connection must not be used or closed while the thread holds it."""
    task = asyncio.ensure_future(asyncio.to_thread(call))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await task
        raise


def _busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class _Batch:
    """One transaction that several writes joined, each in its own savepoint."""

    __slots__ = ("done", "members", "raw")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.members = 0
        self.done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        """Set once COMMIT returned (to the number of members), or to why it failed."""


class _Group:
    """The writers of one event loop: their queue, the open transaction, its committer."""

    __slots__ = ("batch", "committer", "lock", "tasks")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.batch: _Batch | None = None
        self.committer: asyncio.Task[None] | None = None
        """The task that commits `batch` once the writers queued before it are in."""
        self.tasks: set[asyncio.Task[None]] = set()
        """Committers still running (the loop keeps only weak references to tasks)."""


class SqliteDirect:
    """Reads and write transactions on synchronous engines on one SQLite file.

    Neither engine has SQLAlchemy's begin event: transactions are begun and ended on the
    driver connection here. `reader`'s connections are query-only.
    """

    def __init__(self, *, writer: Engine, reader: Engine) -> None:
        self.engines = {"writer": writer, "reader": reader}
        # One lock per event loop: tests and the CLI may run several loops in turn.
        self._groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = (
            weakref.WeakKeyDictionary()
        )
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()

    def _persistent(self, kind: str) -> Connection:
        """This thread's long-lived connection of `kind` (reader or writer)."""
        slots: dict[str, Connection] = self._local.__dict__.setdefault("slots", {})
        conn = slots.get(kind)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engines[kind].connect()
            slots[kind] = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def _drop(self, kind: str, conn: Connection) -> None:
        """Forget a connection that failed; the next use opens a new one."""
        self._local.__dict__.get("slots", {}).pop(kind, None)
        with contextlib.suppress(Exception):
            conn.invalidate()

    @contextlib.contextmanager
    def read(self) -> Iterator[DirectConnection]:
        """A read transaction (one snapshot for every statement in the block)."""
        conn = self._persistent("reader")
        raw: Any = conn.connection.driver_connection
        if raw.in_transaction:
            # A read on this thread is still open (its block awaited something else):
            # this one takes a connection of its own.
            with self.engines["reader"].connect() as other:
                other.exec_driver_sql("BEGIN")
                yield DirectConnection(other)
            return
        try:
            raw.execute("BEGIN")
        except sqlite3.Error as exc:
            self._drop("reader", conn)
            raise DBAPIError("BEGIN", None, exc) from exc
        try:
            yield DirectConnection(conn)
        finally:
            # Ended at the driver only: SQLAlchemy's rollback (events, pool bookkeeping)
            # costs more than the query, and its autobegun transaction on this
            # connection holds nothing.
            try:
                raw.rollback()
            except Exception:
                self._drop("reader", conn)

    @asynccontextmanager
    async def write(self, timeout: float) -> AsyncIterator[DirectConnection]:
        """A write that starts within `timeout` seconds or not at all, in its own savepoint
        of the group's transaction; the block's exit returns once that transaction is
        committed (fsync), and raises if it was not. Only waiting for another process's
        lock, and COMMIT, leave the event loop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        group = self._group()
        try:
            async with asyncio.timeout_at(deadline):
                await group.lock.acquire()
        except TimeoutError:
            raise WriteLockTimeout(f"queued for the write lock for {timeout:g} s") from None
        try:
            conn = self._persistent("writer")
            raw: Any = conn.connection.driver_connection
            batch = group.batch
            if batch is None or batch.raw is not raw:
                batch = await self._open_batch(group, conn, raw, deadline - loop.time(), timeout)
            try:
                raw.execute("SAVEPOINT smssign_write")
            except sqlite3.Error as exc:
                self._fail_batch(group, batch, exc)
                raise DBAPIError("SAVEPOINT", None, exc) from exc
            try:
                yield DirectConnection(conn)
            except BaseException:
                self._undo_member(group, batch, conn, raw)
                raise
            try:
                raw.execute("RELEASE smssign_write")
            except sqlite3.Error as exc:
                self._fail_batch(group, batch, exc)
                raise DBAPIError("RELEASE", None, exc) from exc
            batch.members += 1
        finally:
            group.lock.release()
        # Acknowledged only once durable: our change is in `batch`, whose COMMIT runs
        # whether or not we are still waiting for it.
        try:
            await asyncio.shield(batch.done)
        except DBAPIError as exc:
            raise DBAPIError("COMMIT", None, exc.orig or exc) from exc

    def _group(self) -> _Group:
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        return group

    async def _open_batch(
        self, group: _Group, conn: Connection, raw: Any, remaining: float, timeout: float
    ) -> _Batch:
        try:
            if raw.in_transaction:
                raw.rollback()  # left open by a writer whose thread was interrupted
            await self._begin_immediate(raw, remaining, timeout)
        except sqlite3.Error as exc:
            self._drop("writer", conn)
            raise DBAPIError("BEGIN IMMEDIATE", None, exc) from exc
        except BaseException:
            # Cancelled while BEGIN ran on its thread: give the lock back at once.
            if raw.in_transaction:
                with contextlib.suppress(Exception):
                    raw.rollback()
            raise
        group.batch = _Batch(raw)
        if group.committer is None:
            # Queued behind every writer waiting now (the lock is FIFO), so they join
            # this transaction before it ends, whether or not this writer's block fails.
            group.committer = asyncio.get_running_loop().create_task(self._commit_when_turn(group))
            group.committer.add_done_callback(group.tasks.discard)
            group.tasks.add(group.committer)
        return group.batch

    def _undo_member(self, group: _Group, batch: _Batch, conn: Connection, raw: Any) -> None:
        """Undo one member's block; the others in the transaction keep theirs. Should
        SQLite have ended the whole transaction (I/O error, disk full), every member
        fails: none of them was acknowledged yet."""
        try:
            raw.execute("ROLLBACK TO smssign_write")
            raw.execute("RELEASE smssign_write")
        except sqlite3.Error as exc:
            self._fail_batch(group, batch, exc)
            self._drop("writer", conn)
            return
        if not raw.in_transaction:
            self._fail_batch(group, batch, sqlite3.OperationalError("transaction ended"))

    @staticmethod
    def _fail_batch(group: _Group, batch: _Batch, exc: BaseException) -> None:
        if group.batch is batch:
            group.batch = None
        with contextlib.suppress(Exception):
            batch.raw.rollback()
        if not batch.done.done():
            batch.done.set_exception(DBAPIError("COMMIT", None, exc))
            batch.done.exception()  # a group without members has nobody to raise it to

    async def _commit_when_turn(self, group: _Group) -> None:
        async with group.lock:
            group.committer = None
            batch, group.batch = group.batch, None
            if batch is None or batch.done.done():
                return
            if batch.members == 0:
                # Every block in it failed and was rolled back: nothing to make durable.
                with contextlib.suppress(Exception):
                    batch.raw.rollback()
                batch.done.set_result(0)
                return
            try:
                await _in_thread(batch.raw.commit)
            except BaseException as exc:
                self._fail_batch(group, batch, exc)
                if not isinstance(exc, Exception):
                    raise
                return
            batch.done.set_result(batch.members)

    @staticmethod
    async def _begin_immediate(raw: Any, remaining: float, timeout: float) -> None:
        # Writers of this process are queued already, so the write lock is normally free
        # and taken at once. Only when another process holds it do we wait, on a thread,
        # and no longer than what is left of this write's deadline.
        raw.execute("PRAGMA busy_timeout=0")
        try:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                if remaining <= 0:
                    raise WriteLockTimeout(f"no write lock within {timeout:g} s") from exc
            raw.execute(f"PRAGMA busy_timeout={max(1, int(remaining * 1000))}")
            try:
                await _in_thread(lambda: raw.execute("BEGIN IMMEDIATE"))
            except sqlite3.OperationalError as exc:
                if _busy(exc):
                    raise WriteLockTimeout(
                        f"another process held the write lock for {timeout:g} s"
                    ) from exc
                raise
        finally:
            raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def dispose(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            with contextlib.suppress(Exception):
                conn.close()
        for engine in self.engines.values():
            engine.dispose()
