"""Webhooks: tell an account's own server when one of its signatures changes; and the
worker that also pushes status reports and replies in each provider's format.

The core writes every change's event to the `events` outbox in the change's own
transaction. Here a worker inside the server process turns new events into deliveries
(one per event for an account with a webhook), POSTs each with an HMAC-SHA256 signature,
and retries failures on a schedule until a 2xx arrives or the schedule runs out. Every
attempt is logged. Deliveries are claimed with a lease, so several server processes on
one database share the work, and a delivery left half-done by a stopped process is taken
up again once its lease runs out; delivery is therefore at least once.

The rules (which events are sent, the delivery state machine, retries, fairness) are the
core's, in smssign.core.deliveries; this module holds the wire format and the worker.
Report deliveries (smssign.core.reports) ride the same outbox, claims, retries and
attempt log: they differ only in their body (fixed when planned), their Content-Type and
the answer that counts as received, all three their format's.
Each delivery is sent by its own task, bounded in all and per account, so one account's
slow or hanging receiver never holds up another account's deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import socket
import time
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import orjson

from smssign.core import errors
from smssign.core.clock import Clock, Randomness
from smssign.core.deliveries import (
    Attempt,
    Claim,
    Delivery,
    DeliveryStatus,
    Fairness,
    Outcome,
    RetrySchedule,
    Webhook,
    WebhookStore,
)
from smssign.core.model import SIGNATURE, Event
from smssign.core.reports import NO_FORMATS, WEBHOOK, ReportFormats

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

USER_AGENT = "smssign-webhooks/1"
LONGEST_URL = 2000
LONGEST_SECRET = 256
RESPONSE_EXCERPT = 1000
"""Bytes of the receiver's reply kept in the attempt log."""


# --- the wire format ------------------------------------------------------------------


def event_time(at: float) -> str:
    """RFC 3339 in UTC with a Z, to the second."""
    return datetime.fromtimestamp(int(at), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_event(event: Event) -> str:
    """The JSON body of every delivery of `event`: id, type, time, account_id, and the
    reviewable by its kind's name (`signature`, `template`).

    Review events add `reason` and `reviewer`, submissions add `application_id`. A
    signature event always has `signature` (null if its payload lacks one); other kinds'
    events carry only their own object.
    """
    body: dict[str, Any] = {
        "id": event.id,
        "type": event.type.value,
        "time": event_time(event.created_at),
        "account_id": event.account_id,
    }
    if event.subject is None or event.subject.kind == SIGNATURE or "signature" in event.payload:
        body["signature"] = event.payload.get("signature")
    for key, value in event.payload.items():
        body.setdefault(key, value)
    return orjson.dumps(body).decode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Smssign-Signature value: HMAC-SHA256 over `<timestamp>.<body>`."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check_url(url: str) -> str:
    url = url.strip()
    if len(url) > LONGEST_URL:
        raise errors.InvalidSubmission("url", f"at most {LONGEST_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise errors.InvalidSubmission("url", "not a URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InvalidSubmission("url", "an http:// or https:// URL with a host")
    if port == 0 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise errors.InvalidSubmission("url", "not a URL")
    return url


def check_secret(secret: str) -> str:
    if not secret:
        raise errors.InvalidSubmission("secret", "the secret must not be empty")
    if len(secret) > LONGEST_SECRET:
        raise errors.InvalidSubmission("secret", f"at most {LONGEST_SECRET} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in secret):
        raise errors.InvalidSubmission("secret", "no control characters")
    return secret


# --- retries --------------------------------------------------------------------------


def parse_delays(text: str) -> tuple[float, ...]:
    """`60,300,600` -> (60.0, 300.0, 600.0); each a non-negative number of seconds."""
    delays: list[float] = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError as exc:
            raise ValueError(f"{part!r} is not a number of seconds") from exc
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"{part!r} is not a non-negative number of seconds")
        delays.append(value)
    if not delays:
        raise ValueError("give at least one delay")
    return tuple(delays)


# --- storage and use cases ------------------------------------------------------------


class WebhookService:
    """What operators do with webhooks: set, remove, look at deliveries, retry one."""

    def __init__(self, store: WebhookStore, clock: Clock, randomness: Randomness) -> None:
        self.store = store
        self.clock = clock
        self.randomness = randomness

    async def set(
        self, account_id: int, url: str, *, secret: str | None = None, enabled: bool = True
    ) -> Webhook:
        """Set the account's webhook; with no secret, keep the current one or make a new one."""
        url = check_url(url)
        if secret:
            secret = check_secret(secret)
        else:
            current = await self.store.webhook(account_id)
            secret = current.secret if current else "whsec_" + self.randomness.token(24)
        return await self.store.set_webhook(account_id, url, secret, enabled, self.clock.now())

    async def get(self, account_id: int) -> Webhook | None:
        return await self.store.webhook(account_id)

    async def remove(self, account_id: int) -> bool:
        return await self.store.remove_webhook(account_id, self.clock.now())

    async def retry(self, delivery_id: int) -> Delivery:
        return await self.store.retry_delivery(delivery_id, self.clock.now())


# --- the worker -----------------------------------------------------------------------


class Sender(Protocol):
    """What a delivery needs of an HTTP client: httpx.AsyncClient, or _FirstUseClient."""

    def stream(
        self, method: str, url: str, *, content: bytes, headers: dict[str, str]
    ) -> AbstractAsyncContextManager[Any]: ...


class _FirstUseClient:
    """An httpx client made at the first delivery: importing httpx is some 60 ms of the
    server's start, and most servers send no webhook for a long time, if ever."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.client: httpx.AsyncClient | None = None

    def stream(
        self, method: str, url: str, *, content: bytes, headers: dict[str, str]
    ) -> AbstractAsyncContextManager[Any]:
        if self.client is None:
            import httpx

            self.client = httpx.AsyncClient(follow_redirects=False, timeout=self.timeout)
        return self.client.stream(method, url, content=content, headers=headers)

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def _headers(claim: Claim, body: bytes, clock: Clock, formats: ReportFormats) -> dict[str, str]:
    """A webhook's signed headers, or a report's plain ones (providers sign no callback)."""
    channel = claim.delivery.channel
    if channel != WEBHOOK:
        found = formats.by_name.get(channel)
        content_type = found.content_type if found else "application/octet-stream"
        return {"Content-Type": content_type, "User-Agent": USER_AGENT}
    timestamp = int(clock.now())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Smssign-Event": claim.delivery.type,
        "X-Smssign-Delivery": str(claim.delivery.id),
        "X-Smssign-Timestamp": str(timestamp),
        "X-Smssign-Signature": sign(claim.secret, timestamp, body),
    }


def _answered(claim: Claim, status_code: int, excerpt: str, formats: ReportFormats) -> str:
    """Why a 2xx reply does not count ("" when it does): a report's receiver must give its
    provider's success answer."""
    channel = claim.delivery.channel
    if channel == WEBHOOK:
        return ""
    found = formats.by_name.get(channel)
    if found is None:
        return f"no report format {channel!r} is registered"
    if found.accepts(status_code, excerpt):
        return ""
    return f"HTTP {status_code} {excerpt[:100]!r} is not the receiver's success answer"


async def post(
    client: Sender,
    claim: Claim,
    clock: Clock,
    timeout: float,
    formats: ReportFormats = NO_FORMATS,
) -> Outcome:
    """One attempt: POST the body, a webhook's with fresh timestamp and signature
    headers, a report's as its format has it."""
    import httpx  # loaded already by the client that sends

    body = claim.delivery.body.encode()
    headers = _headers(claim, body, clock, formats)
    started_at = clock.now()
    start = time.monotonic()
    status_code: int | None = None
    excerpt = b""
    error = ""
    try:
        async with asyncio.timeout(timeout):
            async with client.stream("POST", claim.url, content=body, headers=headers) as reply:
                status_code = reply.status_code
                async for chunk in reply.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= RESPONSE_EXCERPT:
                        break
    except TimeoutError:
        error = f"no answer within {timeout:g} s"
        status_code = None
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        # The status line may have arrived before the body broke; an attempt counts only whole.
        error = f"{type(exc).__name__}: {exc}"[:RESPONSE_EXCERPT] or type(exc).__name__
        status_code = None
    response = excerpt[:RESPONSE_EXCERPT].decode("utf-8", "replace")
    refused = ""
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    elif status_code is not None:
        # Some providers' receivers answer 200 either way: the body says whether it counts.
        refused = _answered(claim, status_code, response, formats)
        error = refused or error
    return Outcome(
        url=claim.url,
        started_at=started_at,
        duration=time.monotonic() - start,
        status_code=status_code,
        error=error,
        response=response,
        answered=not refused,
    )


def _dead_here(holder: str) -> bool:
    """Whether a worker name (`host:pid:id`) is of this host and its process is gone."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # another worker of this very process, alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # there, but another user's
    return False


class DeliveryWorker:
    """Dispatches new events and sends due deliveries, each in a task of its own.

    At most `concurrency` deliveries are in flight, and at most `per_target` to one
    account's receiver: a receiver that hangs fills its own slots and nobody else's.
    Deliveries are claimed only when a slot is free, so a claimed delivery never waits
    behind another account's.
    """

    def __init__(
        self,
        store: WebhookStore,
        clock: Clock,
        *,
        schedule: RetrySchedule,
        timeout: float = 10.0,
        poll_interval: float = 0.5,
        batch: int = 10,
        concurrency: int = 32,
        per_target: int = 4,
        client: httpx.AsyncClient | None = None,
        formats: ReportFormats = NO_FORMATS,
    ) -> None:
        """`batch` is the most one claim takes from the store; `formats` say how report
        deliveries are sent and answered."""
        self.store = store
        self.formats = formats
        self.clock = clock
        self.schedule = schedule
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.batch = batch
        self.fairness = Fairness(limit=concurrency, per_target=per_target)
        # A lease outlives the slowest attempt, so no two workers send the same one at once.
        self.lease = timeout + 30.0
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        self._client = client
        self._wake = asyncio.Event()
        self._sending: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Work until cancelled; sends in flight are stopped and their leases handed back
        on the way out."""
        client: Sender = self._client or _FirstUseClient(self.timeout)
        try:
            with contextlib.suppress(errors.Unavailable):
                await self.free_orphans()
            while True:
                try:
                    busy = await self.fill(client)
                except errors.Unavailable as exc:
                    log.warning("webhook worker: store unavailable: %s", exc)
                    busy = False
                except Exception:
                    # A bug must not stop deliveries for good; log it and try again later.
                    log.exception("webhook worker: unexpected error")
                    busy = False
                if not busy:
                    # A finished send wakes us too: its slot may let a waiting one start.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_interval):
                            await self._wake.wait()
                    self._wake.clear()
        finally:
            for task in self._sending:
                task.cancel()
            if self._sending:
                await asyncio.gather(*self._sending, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.shield(self.store.release_leases(self.name))
            if isinstance(client, _FirstUseClient):
                await client.aclose()

    async def free_orphans(self) -> list[str]:
        """Hand back the leases of this host's workers whose process is gone (killed, or
        crashed), so that a restart resumes their deliveries at once instead of when
        their leases run out; returns those workers. Other hosts' leases run out."""
        freed = []
        for holder in await self.store.lease_holders(self.clock.now()):
            if holder != self.name and _dead_here(holder):
                await self.store.release_leases(holder)
                freed.append(holder)
        if freed:
            log.info("webhook worker: took over the deliveries of %s", ", ".join(freed))
        return freed

    async def step(self, client: Sender) -> bool:
        """One pass that waits for the sends it starts (tests drive the worker with it);
        True when there may be more work right away."""
        busy = await self.fill(client)
        await self.settle()
        return busy

    async def settle(self) -> None:
        """Wait until no send is in flight."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def fill(self, client: Sender) -> bool:
        """Dispatch new events and start a send for each due delivery a slot is free for,
        without waiting for any; True when there may be more to start right away."""
        dispatched = await self.store.dispatch_events(self.clock.now(), limit=200)
        room = self.fairness.room
        claims = []
        if room:
            claims = await self.store.claim_deliveries(
                self.name,
                self.clock.now(),
                self.lease,
                min(room, self.batch),
                fairness=self.fairness,
            )
        for claim in claims:
            self._start(client, claim)
        return dispatched >= 200 or (bool(claims) and self.fairness.room > 0)

    def _start(self, client: Sender, claim: Claim) -> None:
        account = claim.delivery.account_id
        self.fairness.start(account)
        task = asyncio.create_task(
            self._attempt(client, claim), name=f"smssign-webhook-{claim.delivery.id}"
        )
        self._sending.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._sending.discard(task)
            self.fairness.finish(account)
            self._wake.set()

        task.add_done_callback(done)

    async def _attempt(self, client: Sender, claim: Claim) -> None:
        try:
            outcome = await post(client, claim, self.clock, self.timeout, self.formats)
            await self.store.record_attempt(
                claim, self.name, outcome, self.schedule, self.clock.now()
            )
        except errors.Unavailable as exc:
            # The lease runs out and the delivery is tried again: at least once.
            log.warning("webhook worker: attempt not recorded: %s", exc)
        except Exception:
            log.exception("webhook worker: unexpected error in delivery %s", claim.delivery.id)


__all__ = [
    "Attempt",
    "Claim",
    "Delivery",
    "DeliveryStatus",
    "DeliveryWorker",
    "Outcome",
    "RetrySchedule",
    "Sender",
    "Webhook",
    "WebhookService",
    "WebhookStore",
    "check_secret",
    "check_url",
    "event_time",
    "parse_delays",
    "post",
    "render_event",
    "sign",
]
