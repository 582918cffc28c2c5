"""What operators see of a running node: request ids, JSON logs, Prometheus metrics.

Every request gets an id before any dialect runs (`RequestContext`), returned as the
`X-Request-Id` header and, by the dialects, as their own RequestId; every log line
written while the request runs carries it. Dialects report what a call was with
`record_outcome()`; the middleware turns that into the request counters and latency
histograms, and an access log line. prometheus_client is imported when the metrics are
first scraped (or once `PENDING_LIMIT` requests were counted), not at start: until then
the middleware keeps each request's labels and duration, and the first scrape adds them.
Nothing here logs a body, a query string or a header value, so no credential reaches a
log.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram
    from prometheus_client.core import GaugeMetricFamily

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "smssign_request_id", default=None
)

access_log = logging.getLogger("smssign.access")


@dataclass(frozen=True, slots=True)
class RequestMetrics:
    """The request counters and latency histograms of this process."""

    requests: Counter
    latency: Histogram

    def count(self, outcome: Outcome, elapsed: float) -> None:
        self.requests.labels(outcome.dialect, outcome.action, outcome.code).inc()
        self.latency.labels(outcome.dialect, outcome.action).observe(elapsed)


PENDING_LIMIT = 512
"""Requests counted before prometheus_client is imported, at most; the next one imports it."""

_metrics: RequestMetrics | None = None
_pending: list[tuple[Outcome, float]] = []
_making = threading.Lock()


def request_metrics() -> RequestMetrics:
    """The metrics, made (and importing prometheus_client) at the first call, with the
    requests counted before it."""
    global _metrics
    if _metrics is not None:
        return _metrics
    with _making:  # one registration, whichever thread (an in-process mock's) comes first
        if _metrics is not None:
            return _metrics
        from prometheus_client import Counter, Histogram

        made = RequestMetrics(
            requests=Counter(
                "smssign_requests",
                "API calls by dialect, action and result code (Success or the wire error code).",
                ["dialect", "action", "code"],
            ),
            latency=Histogram(
                "smssign_request_duration_seconds",
                "Time from the first byte of an API call to the last byte of its reply.",
                ["dialect", "action"],
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            ),
        )
        for outcome, elapsed in _pending:
            made.count(outcome, elapsed)
        _pending.clear()
        _metrics = made
        return made


def _count(outcome: Outcome, elapsed: float) -> None:
    if _metrics is None and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # (With workers, a scrape of another worker reads this one's counts from the
        # shared directory: they are written at once.)
        with _making:
            if _metrics is None and len(_pending) < PENDING_LIMIT:
                _pending.append((outcome, elapsed))
                return
    (_metrics or request_metrics()).count(outcome, elapsed)


@dataclass(slots=True)
class Outcome:
    """What a dialect says a call was: labels for the metrics and the access log."""

    dialect: str
    action: str
    code: str


def record_outcome(request: Request, dialect: str, action: str, code: str) -> None:
    """Called by a dialect before it replies. `action` and `code` must come from the
    dialect's own tables (never caller text), so that metric labels stay few."""
    request.state.outcome = Outcome(dialect, action, code)


def current_request_id(request: Request) -> str | None:
    """The id the middleware gave this request; dialects echo it as their RequestId."""
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


class RequestContext:
    """ASGI middleware: request id, access log, request metrics."""

    def __init__(self, app: ASGIApp, *, new_id: Callable[[Scope], str]) -> None:
        self.app = app
        self.new_id = new_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.new_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            outcome = state.get("outcome")
            if isinstance(outcome, Outcome):
                _count(outcome, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %d",
                    scope.get("method", ""),
                    scope.get("path", ""),
                    status,
                    extra={
                        "http": {
                            "method": scope.get("method", ""),
                            "path": scope.get("path", ""),
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 2),
                            **(
                                {
                                    "dialect": outcome.dialect,
                                    "action": outcome.action,
                                    "code": outcome.code,
                                }
                                if isinstance(outcome, Outcome)
                                else {}
                            ),
                        }
                    },
                )
            request_id_var.reset(token)


# --- /metrics -------------------------------------------------------------------------

Gauges = Callable[[], Awaitable[dict[str, tuple[str, float]]]]
"""Values read when scraped: metric name -> (help, value)."""


async def exposition(gauges: Gauges | None = None) -> bytes:
    """The Prometheus text for this process, or for all workers of a multi-worker node."""
    from prometheus_client import CollectorRegistry, generate_latest

    request_metrics()
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        # prometheus_client leaves this constructor unannotated.
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        text = generate_latest(REGISTRY)
    if gauges is not None:
        scraped = CollectorRegistry()
        values = await gauges()
        scraped.register(_Snapshot(values))
        text += generate_latest(scraped)
    return text


class _Snapshot:
    """A collector for values already read (the database is async, collectors are not)."""

    def __init__(self, values: dict[str, tuple[str, float]]) -> None:
        self.values = values

    def collect(self) -> list[GaugeMetricFamily]:
        from prometheus_client.core import GaugeMetricFamily

        return [
            GaugeMetricFamily(name, help_text, value=value)
            for name, (help_text, value) in self.values.items()
        ]


# --- logs -----------------------------------------------------------------------------

_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and name not in entry and name != "color_message":
                entry[name] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """The usual one-line text, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = request_id_var.get()
        return line if request_id is None else f"{line} [request {request_id}]"


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """A logging.config dict for uvicorn's `log_config`, applied in every worker too."""
    formatter = (
        "smssign.web.observability.JsonFormatter"
        if fmt == "json"
        else ("smssign.web.observability.TextFormatter")
    )
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
