"""The load generator: keep-alive HTTP/1.1 connections driven by asyncio protocol callbacks.

Requests are bytes built (and signed) before the clock starts. Two modes:

- closed loop (`rate=None`): every connection sends its next request as soon as the
  previous reply arrived, which finds the server's peak throughput;
- open loop (`rate=R`): requests are due at fixed intervals of 1/R seconds and go out
  on an idle connection (or wait for one); latency counts from when a request was due,
  not from when it was sent, so a server that falls behind is not flattered
  ("coordinated omission").

The replies are parsed with bench.wire and checked with the scenario's `ok` predicate
(Tencent answers errors with HTTP 200, so a status check alone proves nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from bench.wire import Head, parse_head, take_chunked

Check = Callable[[int, bytes], bool]

CONNECT_TIMEOUT = 5.0
TIMER_TICK = 0.001
"""Open loop: requests fall due every 1/rate s but go out in batches up to this far apart;
their latency still counts from when they were due."""
GRACE = 3.0
"""Seconds the generator waits for replies still in flight when the window closes."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to send where, and how to tell a successful reply."""

    name: str
    port: int
    requests: Sequence[bytes]
    ok: Check


@dataclass(slots=True)
class Measurement:
    scenario: str
    mode: str
    connections: int
    seconds: float
    completed: int
    errors: int
    req_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    rate: float | None = None
    server_cpu: float | None = None
    """Server CPU seconds per wall second in the window (1.0 = one core busy)."""
    client_cpu: float | None = None
    reconnects: int = 0
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: (round(value, 4) if isinstance(value, float) else value)
            for name, value in asdict(self).items()
        }


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request outstanding."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.head: Head | None = None
        self.started = 0.0
        self.busy = False
        self.alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, raw: bytes, started: float) -> None:
        assert self.transport is not None
        self.started = started
        self.busy = True
        self.transport.write(raw)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while self.busy:
            head = self.head
            if head is None:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                try:
                    head = parse_head(bytes(buffer[:end]))
                except ValueError as exc:
                    self._broken(str(exc))
                    return
                del buffer[: end + 4]
                self.head = head
            if head.length >= 0:
                if len(buffer) < head.length:
                    return
                body = bytes(buffer[: head.length])
                del buffer[: head.length]
            else:
                chunked = take_chunked(buffer)
                if chunked is None:
                    return
                body = chunked
            self.head = None
            self.busy = False
            if head.close:
                self.alive = False
                assert self.transport is not None
                self.transport.close()
            self.run.done(self, head.status, body)

    def connection_lost(self, exc: Exception | None) -> None:
        was_busy = self.busy
        self.alive = False
        self.busy = False
        self.run.lost(self, was_busy)

    def _broken(self, reason: str) -> None:
        self.run.note_error(f"unparsable reply: {reason}")
        assert self.transport is not None
        self.transport.close()


class _Run:
    """The state of one measurement, driven by the connections' callbacks."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        warm_until: float,
        end: float,
        rate: float | None,
    ) -> None:
        self.scenario = scenario
        self.requests = scenario.requests
        self.ok = scenario.ok
        self.index = 0
        self.warm_until = warm_until
        self.end = end
        self.rate = rate
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.reconnects = 0
        self.connections: list[_Connection] = []
        self.idle: deque[_Connection] = deque()
        self.backlog: deque[float] = deque()
        self.loop = asyncio.get_running_loop()
        self.pending_connects: set[asyncio.Task[None]] = set()

    def next_request(self) -> bytes:
        raw = self.requests[self.index]
        self.index = (self.index + 1) % len(self.requests)
        return raw

    def note_error(self, sample: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(sample)

    def _counts(self, started: float, now: float) -> bool:
        # Closed loop: replies completed inside the window; open loop: requests due in it.
        if self.rate is None:
            return self.warm_until <= now <= self.end
        return self.warm_until <= started < self.end

    def done(self, conn: _Connection, status: int, body: bytes) -> None:
        now = time.perf_counter()
        if self._counts(conn.started, now):
            if self.ok(status, body):
                self.latencies.append(now - conn.started)
            else:
                self.note_error(f"HTTP {status}: {body[:300]!r}")
        if not conn.alive:
            self._replace(conn)
            return
        if self.rate is None:
            if now < self.end:
                conn.send(self.next_request(), now)
        elif self.backlog:
            conn.send(self.next_request(), self.backlog.popleft())
        else:
            self.idle.append(conn)

    def lost(self, conn: _Connection, was_busy: bool) -> None:
        if was_busy:
            now = time.perf_counter()
            if self._counts(conn.started, now):
                self.note_error("connection closed with a request outstanding")
            self._replace(conn)
        elif conn in self.idle:
            self.idle.remove(conn)
            self._replace(conn)

    def _replace(self, conn: _Connection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        if time.perf_counter() >= self.end:
            return
        self.reconnects += 1
        task = self.loop.create_task(self._connect_and_start())
        self.pending_connects.add(task)
        task.add_done_callback(self.pending_connects.discard)

    async def connect(self) -> _Connection:
        _, protocol = await asyncio.wait_for(
            self.loop.create_connection(lambda: _Connection(self), "127.0.0.1", self.scenario.port),
            CONNECT_TIMEOUT,
        )
        assert isinstance(protocol, _Connection)
        self.connections.append(protocol)
        return protocol

    async def _connect_and_start(self) -> None:
        try:
            conn = await self.connect()
        except OSError as exc:
            self.note_error(f"reconnect failed: {exc}")
            return
        now = time.perf_counter()
        if self.rate is None:
            if now < self.end:
                conn.send(self.next_request(), now)
        elif self.backlog:
            conn.send(self.next_request(), self.backlog.popleft())
        else:
            self.idle.append(conn)

    async def dispatch(self, start: float) -> None:
        """Open loop: hand out requests as they fall due until the window closes."""
        assert self.rate is not None
        interval = 1.0 / self.rate
        due = start
        while due < self.end:
            now = time.perf_counter()
            while due <= now and due < self.end:
                if self.idle:
                    self.idle.popleft().send(self.next_request(), due)
                else:
                    self.backlog.append(due)
                due += interval
            # The loop's timers tick in milliseconds: a shorter sleep returns at once and
            # the dispatcher would spin, starving the replies it is waiting for.
            await asyncio.sleep(max(TIMER_TICK, due - time.perf_counter()))

    def busy(self) -> int:
        return sum(1 for c in self.connections if c.busy) + len(self.backlog)


def _cpu_seconds(process: Any) -> float | None:
    if process is None:
        return None
    try:
        times = process.cpu_times()
        return float(times.user + times.system)
    except Exception:
        # The server exited or cannot be read: the measurement stands without it.
        return None


async def measure(
    scenario: Scenario,
    *,
    connections: int,
    duration: float,
    warmup: float,
    rate: float | None = None,
    server: Any = None,
) -> Measurement:
    """Drive `scenario` for `warmup + duration` seconds; statistics cover `duration` only.

    `server` is a psutil.Process whose CPU use is sampled at the window's edges.
    """
    start = time.perf_counter()
    run = _Run(scenario, warm_until=start + warmup, end=start + warmup + duration, rate=rate)
    for _ in range(connections):
        await run.connect()
    start = time.perf_counter()
    run.warm_until = start + warmup
    run.end = run.warm_until + duration
    cpu: dict[str, tuple[float | None, float]] = {}

    def sample(edge: str) -> None:
        cpu[edge] = (_cpu_seconds(server), time.process_time())

    run.loop.call_later(warmup, sample, "start")
    if rate is None:
        for conn in list(run.connections):
            conn.send(run.next_request(), time.perf_counter())
        await asyncio.sleep(warmup + duration)
    else:
        run.idle.extend(run.connections)
        await run.dispatch(start)
    sample("end")
    deadline = time.perf_counter() + GRACE
    while run.busy() and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    for task in list(run.pending_connects):
        task.cancel()
    for conn in run.connections:
        if conn.transport is not None:
            conn.transport.close()
    with contextlib.suppress(Exception):
        await asyncio.sleep(0)

    ordered = sorted(run.latencies)
    window = duration
    server_cpu = client_cpu = None
    if "start" in cpu:
        (server_start, client_start), (server_end, client_end) = cpu["start"], cpu["end"]
        if server_start is not None and server_end is not None:
            server_cpu = (server_end - server_start) / window
        client_cpu = (client_end - client_start) / window
    return Measurement(
        scenario=scenario.name,
        mode="closed" if rate is None else "open",
        connections=connections,
        seconds=window,
        completed=len(ordered),
        errors=run.errors,
        req_s=len(ordered) / window,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p90_ms=percentile(ordered, 0.90) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] * 1000) if ordered else 0.0,
        rate=rate,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        reconnects=run.reconnects,
        error_samples=run.error_samples,
    )
