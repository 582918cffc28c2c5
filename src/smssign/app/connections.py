"""HTTP/1.1 connections with bounds: header size, header and body read timeouts.

uvicorn's httptools protocol has none of these: a client may stream one header forever
(the parser keeps every byte), or open a socket and send nothing, or send a byte now and
then, and the connection stays open as long as it likes. `BoundedHttpToolsProtocol` is
that same protocol with four limits, checked as bytes arrive:

- the request line and headers together may be at most `header_bytes` (431 otherwise);
- they must arrive within `header_timeout` seconds of the connection opening, or of the
  first byte of a keep-alive connection's next request (408, then closed);
- once the headers are in, each `body_timeout` seconds must bring some of the body,
  unless the server itself has paused reading (408, then closed);
- the whole request, headers and body, must arrive within `request_timeout` seconds.

Idle keep-alive connections are closed by uvicorn's own `timeout_keep_alive`. uvicorn
loads the class by its import path in every worker process; the limits reach the workers
in an environment variable that `smssign.app.serving` sets.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LIMITS_ENV = "SMSSIGN_HTTP_LIMITS"
PROTOCOL = "smssign.app.connections:BoundedHttpToolsProtocol"
"""What `smssign.app.serving` hands uvicorn as its `http` implementation."""


@dataclass(frozen=True, slots=True)
class HttpLimits:
    header_bytes: int = 64 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 15.0
    request_timeout: float = 120.0

    def to_environment(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_environment(cls, text: str | None) -> HttpLimits:
        return cls(**json.loads(text)) if text else cls()


@cache
def _limits_from(text: str | None) -> HttpLimits:
    return HttpLimits.from_environment(text)


def current_limits() -> HttpLimits:
    return _limits_from(os.environ.get(LIMITS_ENV))


_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections that break the limits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = current_limits()
        self._in_headers = True
        self._header_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._request_timer: asyncio.TimerHandle | None = None

    # --- connection -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A socket that opens and says nothing gets as long as a slow header would.
        self._start_request_timers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            if self._header_timer is None:
                self._start_request_timers()
            self._header_bytes += len(data)
        elif self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
        super().data_received(data)
        if self._in_headers and self._header_bytes > self.limits.header_bytes:
            self._refuse(431, "request headers too large")

    # --- parser callbacks -----------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._in_headers = False
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_timers()
        self._in_headers = True
        self._header_bytes = 0
        super().on_message_complete()

    # --- limits ---------------------------------------------------------------------

    def _start_request_timers(self) -> None:
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_late)
        if self._request_timer is None:
            self._request_timer = self.loop.call_later(
                self.limits.request_timeout, self._request_late
            )

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer, self._request_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = self._request_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._header_bytes == 0 and self.cycle is not None:
            # Between requests: an idle keep-alive connection is uvicorn's to time out.
            return
        self._refuse(408, "request headers not received in time")

    def _body_late(self) -> None:
        self._body_timer = None
        if self.flow is not None and self.flow.read_paused:
            # We stopped reading, not the client: wait for the app to catch up.
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
            return
        self._refuse(408, "request body not received in time")

    def _request_late(self) -> None:
        self._request_timer = None
        if self._in_headers and self._header_bytes == 0 and self.cycle is not None:
            return
        self._refuse(408, "request not received in time")

    def _refuse(self, status: int, message: str) -> None:
        self._cancel_timers()
        if self.transport is None or self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._in_headers and not answering:
            body = message.encode()
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status, _REASONS[status], len(body), body)
            )
        elif self.cycle is not None and answering:
            # The app has this request already: it sees a disconnect, and no status line
            # is written into the middle of its reply.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()
