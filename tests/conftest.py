"""Shared fixtures: a real smssign server on a free port, one per test module.

The server runs as a subprocess of `python -m smssign serve`, exactly as a user starts
it. Accounts and reviews are made through the same core services the CLI uses, on the
server's database, while it runs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.accounts import issued_json
from smssign.core.model import Certification, Status
from tests import databases

T = TypeVar("T")

# Official clients honour proxy variables; loopback tests must never go through one.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url_for(directory: Path) -> str:
    """SQLite in `directory`. With SMSSIGN_TEST_POSTGRES (an admin URL), a fresh PostgreSQL
    database per directory, dropped when the session ends (tests/databases.py);
    SMSSIGN_TEST_DATABASE_URL points every server at one database instead."""
    admin = databases.admin_url()
    if admin:
        return databases.postgres_database_for(directory, admin)
    return os.environ.get("SMSSIGN_TEST_DATABASE_URL") or f"sqlite:///{directory / 'smssign.db'}"


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    databases.drop_test_databases()


@dataclass
class Server:
    """A running server and operator access to its database."""

    url: str
    port: int
    database_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    _names: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))
    _engine: Any = None

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, data_dir=self.data_dir)

    def run(self, action: Callable[[Runtime], Awaitable[T]]) -> T:
        async def main() -> T:
            async with open_runtime(self.settings) as runtime:
                return await action(runtime)

        return asyncio.run(main())

    def create_account(
        self, name: str | None = None, *, individual: bool = False
    ) -> dict[str, Any]:
        """The same dict `smssign accounts create --json` prints."""
        name = name or f"account-{os.getpid()}-{time.monotonic_ns()}-{next(self._names)}"
        issued = self.run(lambda rt: rt.accounts.create(name, individual=individual))
        return issued_json(issued)

    def set_account(self, account_id: int, **changes: Any) -> None:
        if "individual" in changes:
            individual = changes.pop("individual")
            changes["certification"] = (
                Certification.INDIVIDUAL if individual else Certification.ENTERPRISE
            )
        self.run(lambda rt: rt.accounts.update(account_id, **changes))

    def review(self, sign_id: int, decision: str, reason: str = "") -> None:
        self.run(lambda rt: rt.signatures.review(sign_id, Status(decision), reason=reason))

    def approve(self, sign_id: int) -> None:
        self.review(sign_id, "approved")

    def reject(self, sign_id: int, reason: str) -> None:
        self.review(sign_id, "rejected", reason)

    def file(self, sign_id: int) -> None:
        self.review(sign_id, "filing")

    def review_template(self, template_id: int, decision: str, reason: str = "") -> None:
        self.run(lambda rt: rt.templates.review(template_id, Status(decision), reason=reason))

    def row_counts(self) -> dict[str, int]:
        """Rows per table, straight from the database: proof that a request changed nothing."""
        from sqlalchemy import func, inspect, select, table

        async def count() -> dict[str, int]:
            async with self._counting_engine().connect() as conn:
                names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
                counts = {}
                for name in sorted(names):
                    query = select(func.count()).select_from(table(name))
                    counts[name] = int((await conn.execute(query)).scalar_one())
                return counts

        return asyncio.run(count())

    def _counting_engine(self) -> Any:
        # NullPool: each asyncio.run gets a fresh connection, so one engine serves them all.
        if self._engine is None:
            from sqlalchemy.ext.asyncio import create_async_engine
            from sqlalchemy.pool import NullPool

            from smssign.store.repository import async_url

            self._engine = create_async_engine(async_url(self.database_url), poolclass=NullPool)
        return self._engine

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    directory: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
) -> Server:
    """`database_url` shares one database between servers (nodes); by default each
    directory has its own."""
    port = free_port()
    database_url = database_url or database_url_for(directory)
    data_dir = directory / "data"
    log_path = directory / "server.log"
    command = [
        sys.executable,
        "-m",
        "smssign",
        "serve",
        "--port",
        str(port),
        "--database",
        database_url,
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
        *extra,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    server = Server(f"http://127.0.0.1:{port}", port, database_url, data_dir, process, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start:\n{server.log()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    # A traceback in the server log is a bug even when every reply looked right.
    assert "Traceback" not in server.log(), server.log()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without rate limits, fresh for each test module."""
    s = start_server(tmp_path_factory.mktemp("server"), "--no-rate-limit")
    yield s
    stop_server(s)


@pytest.fixture
def account(server: Server) -> dict[str, Any]:
    """A fresh enterprise account on the module's server."""
    return server.create_account()
