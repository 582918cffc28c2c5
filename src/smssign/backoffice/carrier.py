"""Simulated delivery: the carrier that turns accepted messages into delivery reports.

It decides every pending message once its `due_at` has come (`serve --delivery-delay`
after it was accepted): delivered, unless an outcome rule or a magic test number says
failed or never reported (core/messages.py). The state is the database's, so after a
restart the pending messages are simply picked up again; on several nodes each message
is decided by one of them (PostgreSQL's SKIP LOCKED). Each decision writes its event, which
the webhook worker (and whatever pushes provider-format reports) sends on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from smssign.core import errors
from smssign.core.clock import Clock
from smssign.core.sending import DELIVERY_BATCH, SendService

log = logging.getLogger(__name__)

GATHER = 0.005
"""Seconds the carrier waits after a send woke it, to decide the sends around it at once."""


class Carrier:
    def __init__(
        self,
        sending: SendService,
        clock: Clock,
        *,
        poll_interval: float = 0.5,
        decided: Callable[[], None] | None = None,
    ) -> None:
        """`decided` is called after messages were decided (to wake the webhook worker)."""
        self.sending = sending
        self.clock = clock
        self.poll_interval = poll_interval
        self.decided = decided
        self._wake = asyncio.Event()
        sending.arrivals.listeners.append(self._wake.set)

    async def run(self) -> None:
        while True:
            try:
                count = await self.sending.deliver_due()
                if count:
                    if self.decided is not None:
                        self.decided()
                    if count < DELIVERY_BATCH:
                        # Under a stream of sends there is always one more due: gather
                        # a few before the next transaction rather than one per send.
                        await asyncio.sleep(GATHER)
                    continue
                pause = self.poll_interval
                due = await self.sending.next_due()
                if due is not None:
                    pause = min(pause, max(due - self.clock.now(), 0.0))
            except errors.Unavailable as exc:
                log.warning("simulated delivery: %s", exc)
                pause = self.poll_interval
            except Exception:
                # A bug must not stop the server's other work; try again next time.
                log.exception("simulated delivery: unexpected error")
                pause = self.poll_interval
            self._wake.clear()
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)
                if self._wake.is_set():
                    # Woken by a send: let the sends arriving with it land first, so that
                    # one transaction decides them together rather than one each.
                    await asyncio.sleep(GATHER)
            else:
                await asyncio.sleep(0)

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.sending.arrivals.listeners.remove(self._wake.set)
