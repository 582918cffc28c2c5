"""Message retention: the server prunes messages older than `--message-retention-days`.

A provider keeps pull results for 30 days, the default here. Without pruning, a server that
runs for months (a shared staging emulator, a reseller's back office) grows without bound;
so a minute after start, and then every hour, the server removes the messages, replies,
events and webhook deliveries older than the period, in short transactions
(`SendService.prune`). Several nodes may prune at once: each removes what is old, and
deleting a row twice is a no-op.
"""

from __future__ import annotations

import asyncio
import logging

from smssign.core import errors
from smssign.core.sending import SendService

log = logging.getLogger(__name__)

DAY = 86400.0
FIRST = 60.0
EVERY = 3600.0
"""A minute after start, then every hour."""


class Retention:
    def __init__(self, sending: SendService, days: float) -> None:
        """`days` > 0: what is older is pruned; 0 keeps everything (no pruning)."""
        self.sending = sending
        self.days = days

    async def run_once(self) -> int:
        """Prune now; how many rows went."""
        if self.days <= 0:
            return 0
        pruned = await self.sending.prune(self.days * DAY)
        if pruned.total:
            log.info(
                "retention: removed %d message(s), %d repl(ies), %d event(s) older than %g days",
                pruned.messages,
                pruned.replies,
                pruned.events,
                self.days,
            )
        return pruned.total

    async def run(self, *, first: float = FIRST, every: float = EVERY) -> None:
        if self.days <= 0:
            return
        await asyncio.sleep(first)
        while True:
            try:
                await self.run_once()
            except errors.Unavailable as exc:
                log.warning("retention: %s", exc)
            except Exception:
                # A bug must not stop the server's other work; try again next time.
                log.exception("retention: unexpected error")
            await asyncio.sleep(every)
