"""The back office of a running smssign: operators, webhooks, report callbacks, and the
workers behind them.

Built on top of a Runtime (same engine, clock and randomness). The server opens it with
its workers (webhook delivery, auto-review) running as tasks; the CLI opens it without.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smssign.backoffice.autoreview import AutoReviewer, Policy, load_policy
from smssign.backoffice.callbacks import CallbackService
from smssign.backoffice.carrier import Carrier
from smssign.backoffice.operators import OperatorService
from smssign.backoffice.timeline import Timeline, build
from smssign.backoffice.webhooks import DeliveryWorker, RetrySchedule, WebhookService, render_event
from smssign.core import errors
from smssign.core.model import TEMPLATE, Subject
from smssign.core.ports import SweepableBlobs
from smssign.store.backoffice import BackofficeStore

if TYPE_CHECKING:
    # The app builds the runtime and hands it down; only its type comes from there.
    from smssign.app.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoffice:
    runtime: Runtime
    store: BackofficeStore
    operators: OperatorService
    webhooks: WebhookService
    callbacks: CallbackService
    """Where status reports and replies are pushed, per account and provider."""
    secret_key: str
    """Signs console cookies and CSRF tokens."""
    policy: Policy
    worker: DeliveryWorker | None = None

    async def timeline(self, signature_id: int) -> Timeline | None:
        return await build(self.runtime.repository, self.store, signature_id)

    async def template_timeline(self, template_id: int) -> Timeline | None:
        return await build(self.runtime.repository, self.store, Subject(TEMPLATE, template_id))


SWEEP_FIRST = 60.0
SWEEP_EVERY = 6 * 3600.0
"""When the server sweeps unreferenced images: a minute after start, then every six hours."""


async def _sweep_blobs(runtime: Runtime) -> None:
    if not isinstance(runtime.blobs, SweepableBlobs):
        return  # a blob store that cannot list what it holds is not swept
    await asyncio.sleep(SWEEP_FIRST)
    while True:
        try:
            swept = await runtime.sweep_blobs()
            if swept.removed:
                log.info("blob sweep: removed %d unreferenced image(s)", len(swept.removed))
        except errors.Unavailable as exc:
            log.warning("blob sweep: %s", exc)
        except Exception:
            # A bug must not stop the server's other work; try again next time.
            log.exception("blob sweep: unexpected error")
        await asyncio.sleep(SWEEP_EVERY)


def _store(runtime: Runtime) -> BackofficeStore:
    providers = runtime.providers
    return BackofficeStore(
        runtime.repository.database,
        render_event,
        providers.report_formats(),
        providers.pushes,
        keys=runtime.repository.keys,
    )


@asynccontextmanager
async def open_backoffice(runtime: Runtime, *, workers: bool = False) -> AsyncIterator[Backoffice]:
    """The back office on `runtime`; with `workers`, delivery and auto-review run meanwhile."""
    settings = runtime.settings.backoffice
    store = _store(runtime)
    policy = load_policy(
        settings.auto_review, settings.auto_review_delay, settings.auto_review_rules
    )
    secret_key = settings.secret_key or await store.server_key(
        "console", lambda: runtime.randomness.token(32), runtime.clock.now()
    )
    worker = None
    carrier: Carrier | None = None
    tasks: list[asyncio.Task[None]] = []
    if workers:
        worker = DeliveryWorker(
            store,
            runtime.clock,
            schedule=RetrySchedule(
                settings.webhook_retry_delays,
                settings.webhook_retry_every,
                settings.webhook_give_up_after,
            ),
            timeout=settings.webhook_timeout,
            poll_interval=settings.poll_interval,
            formats=store.formats,
        )
        tasks.append(asyncio.create_task(worker.run(), name="smssign-webhooks"))
        # An outcome set by hand or a reply is pushed at once, not at the next poll.
        runtime.sending.reported.listeners.append(worker.wake)
        reviewer = AutoReviewer(
            policy,
            runtime.signatures,
            runtime.repository,
            store,
            runtime.clock,
            poll_interval=settings.poll_interval,
        )
        if policy.mode.value != "off":
            tasks.append(asyncio.create_task(reviewer.run(), name="smssign-auto-review"))
        tasks.append(asyncio.create_task(_sweep_blobs(runtime), name="smssign-blob-sweep"))
        carrier = Carrier(
            runtime.sending,
            runtime.clock,
            poll_interval=settings.poll_interval,
            decided=worker.wake,
        )
        tasks.append(asyncio.create_task(carrier.run(), name="smssign-delivery"))
    backoffice = Backoffice(
        runtime=runtime,
        store=store,
        operators=OperatorService(store, runtime.clock, runtime.randomness),
        webhooks=WebhookService(store, runtime.clock, runtime.randomness),
        callbacks=CallbackService(store, store, store.formats, runtime.clock),
        secret_key=secret_key,
        policy=policy,
        worker=worker,
    )
    try:
        yield backoffice
    finally:
        backoffice.operators.close()
        if worker is not None:
            with contextlib.suppress(ValueError):
                runtime.sending.reported.listeners.remove(worker.wake)
        if carrier is not None:
            carrier.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
