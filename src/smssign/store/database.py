"""One database, one write path: the engines, the writer, and what a failure becomes.

Every store in this package (the repository, the back office, webhook bookkeeping) opens
its transactions here, so a process has one writer per database and one mapping from
driver failures to the core's `errors.Unavailable`:

- a SQLite file: the queued writer connection of `SqliteDirect` (one per thread), and
  reads on the event loop without thread round trips;
- SQLite in memory: the engine's one shared connection, writers queued on a lock;
- PostgreSQL: the engine's pool, row locks taken by the caller (FOR UPDATE).

A write that cannot start within `lock_timeout` seconds (another process holds SQLite's
write lock, PostgreSQL's lock wait runs out) fails with Unavailable and changes nothing.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import orjson
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from smssign.core import errors
from smssign.store.sqlite_direct import BUSY_TIMEOUT_MS, Executor, SqliteDirect, WriteLockTimeout

DEFAULT_LOCK_TIMEOUT = 5.0
"""Seconds a write may wait for the database's write lock before it is refused."""


def async_url(url: str) -> str:
    """Accept URLs as users write them and pick the async driver underneath."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(
    url: str, *, autocommit: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> AsyncEngine:
    """`autocommit` (PostgreSQL only) gives connections that run each statement on its
    own, without BEGIN and ROLLBACK: SqlRepository reads through such an engine.
    `lock_timeout` bounds PostgreSQL's lock waits (SQLite's are bounded per write)."""
    url = async_url(url)
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite+aiosqlite://"):
        memory = url.endswith(":memory:") or url.endswith("://") or "mode=memory" in url
        if memory:
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine.sync_engine, memory=memory)
        return engine
    # Bounded waits: a database that is down or restarting must give the caller an error
    # reply within seconds, never a request that hangs (pre-ping drops dead connections).
    kwargs["connect_args"] = {
        "timeout": 5,
        "command_timeout": 30,
        "server_settings": {"lock_timeout": f"{max(1, int(lock_timeout * 1000))}ms"},
    }
    if autocommit:
        kwargs["isolation_level"] = "AUTOCOMMIT"
    # A fixed pool without overflow: an overflow connection is closed when returned, so
    # under load every request paid for a new connection (TCP, TLS attempt, login);
    # waiting a moment for a pooled one is far cheaper.
    return create_async_engine(
        url, pool_pre_ping=True, pool_timeout=10, pool_size=10, max_overflow=0, **kwargs
    )


def _configure_sqlite(
    engine: Engine, *, memory: bool, direct: bool = False, query_only: bool = False
) -> None:
    """Pragmas on every new connection. `direct` engines leave beginning transactions to
    their caller (SqliteDirect); `query_only` connections refuse writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how transactions start (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if query_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if direct:
        return

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("smssign_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _direct(engine: AsyncEngine) -> SqliteDirect | None:
    """A synchronous engine on the same SQLite file, configured alike (not for :memory:,
    whose single shared connection only the async engine holds)."""
    if engine.dialect.name != "sqlite" or isinstance(engine.pool, StaticPool):
        return None
    engines = []
    for reader in (False, True):
        sync = create_sync_engine(
            engine.url.set(drivername="sqlite"),
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        _configure_sqlite(sync, memory=False, direct=True, query_only=reader)
        engines.append(sync)
    return SqliteDirect(writer=engines[0], reader=engines[1])


def unavailable(exc: BaseException) -> errors.Unavailable | None:
    """What a storage failure means to the core, or None if `exc` is not one.

    IntegrityError is left to the caller, which knows which constraint means what.
    """
    if isinstance(exc, errors.SmssignError | IntegrityError):
        return None
    if isinstance(exc, DBAPIError):
        return errors.Unavailable(str(exc.orig))
    if isinstance(exc, WriteLockTimeout | PoolTimeout | OSError):
        return errors.Unavailable(str(exc) or type(exc).__name__)
    return None


@contextmanager
def storage_errors() -> Iterator[None]:
    """Re-raise what `unavailable` maps as `errors.Unavailable`; anything else as it is."""
    try:
        yield
    except Exception as exc:
        mapped = unavailable(exc)
        if mapped is None:
            raise
        raise mapped from exc


_DATABASES: weakref.WeakKeyDictionary[AsyncEngine, Database] = weakref.WeakKeyDictionary()


class Database:
    """Transactions on one engine; every store of a process shares one per engine."""

    def __init__(self, engine: AsyncEngine, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.engine = engine
        self.lock_timeout = lock_timeout
        self.row_locks = engine.dialect.name != "sqlite"
        """Whether a write transaction locks the rows it reads (PostgreSQL's FOR UPDATE);
        SQLite's single writer makes that needless."""
        self.direct = _direct(engine)
        """A SQLite file's statements without thread round trips; None otherwise."""
        self.reads = (
            create_engine(
                engine.url.render_as_string(hide_password=False),
                autocommit=True,
                lock_timeout=lock_timeout,
            )
            if engine.dialect.name == "postgresql"
            else None
        )
        """PostgreSQL reads without BEGIN/ROLLBACK: two round trips fewer per read, and
        under READ COMMITTED a read transaction gave no more consistency than this."""
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        _DATABASES[engine] = self

    @classmethod
    def of(cls, engine: AsyncEngine, *, lock_timeout: float | None = None) -> Database:
        """The Database already open on `engine`, so that its writer is shared; a new one
        if none is. `lock_timeout`, when given, applies to it from now on."""
        found = _DATABASES.get(engine)
        if found is None:
            return cls(engine, lock_timeout=lock_timeout or DEFAULT_LOCK_TIMEOUT)
        if lock_timeout is not None:
            found.lock_timeout = lock_timeout
        return found

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Executor]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        Raises errors.Unavailable when the database fails or its write lock does not come
        within `lock_timeout`; the block has then not run, or its changes are undone.
        """
        with storage_errors():
            if self.direct is not None:
                async with self.direct.write(self.lock_timeout) as direct:
                    yield direct
                return
            if not self.row_locks:
                # SQLite in memory: one shared connection, so writers take turns here.
                async with self._memory_turn(), self._transaction() as conn:
                    yield conn
                return
            async with self._transaction() as conn:
                yield conn

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(smssign_write=True)
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def _memory_turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self.lock_timeout):
                await lock.acquire()
        except TimeoutError:
            raise WriteLockTimeout(
                f"queued for the write lock for {self.lock_timeout:g} s"
            ) from None
        try:
            yield
        finally:
            lock.release()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Executor]:
        """A read of a few indexed rows: on the event loop for a SQLite file, without a
        transaction on PostgreSQL."""
        with storage_errors():
            if self.direct is not None:
                with self.direct.read() as direct:
                    yield direct
                return
            async with (self.reads or self.engine).connect() as conn:
                yield conn

    @asynccontextmanager
    async def query(self) -> AsyncIterator[AsyncConnection]:
        """A read that may scan (console lists, counts): always off the event loop."""
        with storage_errors():
            async with self.engine.connect() as conn:
                yield conn

    async def close(self) -> None:
        """Close the writer, the readers and the engines."""
        _DATABASES.pop(self.engine, None)
        if self.direct is not None:
            self.direct.dispose()
        if self.reads is not None:
            await self.reads.dispose()
        await self.engine.dispose()


__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "Database",
    "async_url",
    "create_engine",
    "unavailable",
]
