"""Calling an ASGI app directly, without sockets: one HTTP exchange, and its lifespan.

The in-process mock turns each intercepted `requests` or `httpx` request into an
`Outgoing`, hands it to the app here, and turns the `Answer` back into the library's
response object. Nothing here knows about either library.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

log = logging.getLogger("smssign.testing")

CALLER = ("127.0.0.1", 50000)
"""The client address the app sees for every in-process request (IP allow-lists match it)."""


class LifespanFailed(RuntimeError):
    """The app refused to start (bad settings, a database it cannot open, ...)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An HTTP request as a client library would have put it on the wire."""

    method: str
    scheme: str
    host: str
    """Without port."""
    port: int
    raw_path: bytes
    """Percent-encoded, without the query."""
    query: bytes
    headers: Sequence[tuple[bytes, bytes]]
    body: bytes


@dataclass(slots=True)
class Answer:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


async def exchange(app: ASGIApp, request: Outgoing, state: dict[str, Any]) -> Answer:
    """Run one request through `app` and collect its whole response."""
    headers = [(name.lower(), value) for name, value in request.headers]
    if not any(name == b"host" for name, _ in headers):
        default = 443 if request.scheme == "https" else 80
        host = request.host if request.port == default else f"{request.host}:{request.port}"
        headers.insert(0, (b"host", host.encode("idna")))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method.upper(),
        "scheme": request.scheme,
        "path": unquote(request.raw_path.decode("latin-1")),
        "raw_path": request.raw_path,
        "query_string": request.query,
        "root_path": "",
        "headers": headers,
        "client": CALLER,
        "server": (request.host, request.port),
        "state": dict(state),
    }
    answer = Answer()
    finished = asyncio.Event()
    body_sent = False
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        # Like a client that keeps the connection open until the response is complete.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
            answer.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    except Exception:
        # The app has usually answered 500 already; the test sees that answer, and the
        # log says why, as a server's would.
        log.exception("smssign raised while answering %s %s", request.method, request.raw_path)
        if not finished.is_set():
            return Answer(500, [(b"content-type", b"application/json")], b'{"error":"internal"}')
    finally:
        finished.set()
    answer.body = b"".join(chunks)
    return answer


class Lifespan:
    """Drives the ASGI lifespan protocol: startup once, shutdown once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        """What the app's lifespan handed out for requests (`scope["state"]`)."""
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = asyncio.ensure_future(self.app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._next_reply()
        if reply["type"] != "lifespan.startup.complete":
            await self._reap()
            raise LifespanFailed(str(reply.get("message") or "smssign failed to start"))

    async def shutdown(self) -> None:
        if self._task is None or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        reply = await self._next_reply()
        await self._reap()
        if reply["type"] != "lifespan.shutdown.complete":
            log.error("smssign did not shut down cleanly: %s", reply.get("message", ""))

    async def _next_reply(self) -> Message:
        assert self._task is not None
        getter = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        error = self._task.exception()
        return {"type": "lifespan.failed", "message": repr(error) if error else ""}

    async def _reap(self) -> None:
        assert self._task is not None
        try:
            await self._task
        except Exception:
            log.exception("smssign lifespan raised")
