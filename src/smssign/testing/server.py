"""A real smssign server on a free loopback port, in a background thread of the test process.

    with SmssignServer() as server:
        account = server.create_account("acme")
        # point any client (a provider's CLI, another language's SDK, a subprocess) at server.url

It is the same app as `smssign serve --testing`, under uvicorn, on a fresh SQLite
database in a temporary directory that is deleted on `stop()`. The `/_smssign/` routes
are mounted, so code outside Python can reset and inspect it too. The pytest fixture
`smssign_server` is one of these per test.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from smssign.app.seed import Seed
from smssign.app.seed import load as load_seed
from smssign.testing.loop import LoopThread
from smssign.testing.operations import Operations
from smssign.testing.template import fresh_database

if TYPE_CHECKING:
    import concurrent.futures

    import uvicorn
    from starlette.applications import Starlette

    from smssign.app.runtime import Runtime

T = TypeVar("T")

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class SmssignServer(Operations):
    """The server, its address (`url`, `port`, `endpoint`) and the operator's side of it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self,
        *,
        auto_review: str = "off",
        rate_limit: bool = False,
        seed: str | os.PathLike[str] | Mapping[str, Any] | Seed | None = None,
    ) -> None:
        parsed = seed if isinstance(seed, Seed) or seed is None else load_seed(seed)
        super().__init__(self._run, parsed)
        if auto_review not in ("approve", "reject", "off"):
            raise ValueError(f"auto_review must be approve, reject or off, not {auto_review!r}")
        self.auto_review = auto_review
        self.rate_limit = rate_limit
        self.port = 0
        self.url = ""
        self.endpoint = ""
        """`127.0.0.1:PORT`, as SDKs that take a host and port (an HttpProfile) want it."""
        self.database_url = ""
        self.data_dir = Path()
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._loop: LoopThread | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._serving: concurrent.futures.Future[None] | None = None
        self._socket: socket.socket | None = None
        self._app: Starlette | None = None

    # --- life ------------------------------------------------------------------------

    def start(self) -> SmssignServer:
        import uvicorn

        from smssign.app.runtime import open_runtime
        from smssign.app.server import create_app
        from smssign.app.settings import BackofficeSettings, Settings
        from smssign.blobs.filesystem import FilesystemBlobs
        from smssign.store.keyring import MasterKey, MasterKeys

        if self._directory is not None:
            raise RuntimeError("the server is running already")
        self._directory = tempfile.TemporaryDirectory(prefix="smssign-server-")
        root = Path(self._directory.name)
        self._loop = LoopThread("smssign-server")
        self.database_url = self._loop.run(fresh_database(root))
        self.data_dir = root / "data"
        settings = Settings(
            database_url=self.database_url,
            data_dir=self.data_dir,
            rate_limit_enabled=self.rate_limit,
            redis_url=None,
            blobs_url=None,
            backoffice=BackofficeSettings(auto_review=self.auto_review),
            testing=True,
        )
        keys = MasterKeys(MasterKey.generate())
        blobs = FilesystemBlobs(self.data_dir / "blobs")

        def runtime_factory() -> AbstractAsyncContextManager[Runtime]:
            return open_runtime(settings, blobs=blobs, master_keys=keys)

        self._app = create_app(settings, runtime_factory=runtime_factory)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.endpoint = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.endpoint}"
        config = uvicorn.Config(
            self._app,
            log_config=None,  # the test process's logging stays as the user set it up
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._uvicorn = uvicorn.Server(config)
        self._serving = self._loop.submit(self._uvicorn.serve(sockets=[self._socket]))
        deadline = time.monotonic() + START_TIMEOUT
        while not self._uvicorn.started:
            if self._serving.done() or time.monotonic() > deadline:
                failure = self._serving.exception() if self._serving.done() else None
                self.stop()
                raise RuntimeError(f"the smssign server did not start: {failure!r}")
            time.sleep(0.002)
        if self.seed_data is not None:
            seed = self.seed_data
            self._run(lambda rt: _apply(rt, seed))
        return self

    def stop(self) -> None:
        """Shut the server down and delete its database."""
        try:
            if self._uvicorn is not None and self._serving is not None:
                self._uvicorn.should_exit = True
                try:
                    self._serving.result(STOP_TIMEOUT)
                except Exception:
                    self._uvicorn.force_exit = True
        finally:
            if self._loop is not None:
                self._loop.close()
            if self._socket is not None:
                self._socket.close()
            if self._directory is not None:
                self._directory.cleanup()
            self._loop = self._uvicorn = self._serving = self._socket = None
            self._directory = None

    def __enter__(self) -> SmssignServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def seed_data(self) -> Seed | None:
        return self._seed

    # --- the operator's side -----------------------------------------------------------

    def _run(self, action: Callable[[Runtime], Awaitable[T]]) -> T:
        if self._loop is None or self._app is None:
            raise RuntimeError("the smssign server is not running")
        runtime: Runtime = self._app.state.runtime

        async def run() -> T:
            return await action(runtime)

        return self._loop.run(run())


async def _apply(runtime: Runtime, seed: Seed) -> None:
    from smssign.app.seed import apply

    await apply(runtime, seed)
