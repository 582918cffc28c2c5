"""Deliveries are fair across tenants: one account's hanging receiver does not hold up
another account's webhooks, even with the hanging account's events queued first.

The worker runs as the server runs it (`DeliveryWorker.run()`), in-process on a real
SQLite store, against two local receivers.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.webhooks import DeliveryStatus, DeliveryWorker, RetrySchedule, render_event
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.model import Account, Draft, Image
from smssign.store.backoffice import BackofficeStore
from tests.backoffice import Receiver
from tests.samples import png

START = 1_800_000_000.0
HANG = 120.0
"""How long the hanging receiver takes to answer: far longer than the test waits."""


async def submit(runtime: Runtime, account: Account, name: str) -> int:
    image = Image(png(), "PNG", 8, 8)
    draft = Draft(name=name, sign_type=0, document_type=1, proof_images=(image,))
    return (await runtime.signatures.add(account, draft, dialect="test")).signature.id


async def all_delivered(store: BackofficeStore, account_id: int) -> bool:
    statuses = {d.status for d in await store.deliveries(account_id=account_id)}
    return statuses == {DeliveryStatus.DELIVERED}


def test_a_hanging_receiver_delays_only_its_own_account(tmp_path: Path) -> None:
    hanging = Receiver(delay=HANG).start()
    fast = Receiver().start()

    async def scenario() -> None:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path / "data"
        )
        async with open_runtime(
            settings, clock=FixedClock(START), randomness=SeededRandomness(8)
        ) as runtime:
            store = BackofficeStore(runtime.repository.engine, render_event)
            now = runtime.clock.now()
            slow = (await runtime.accounts.create("slow-tenant")).account
            quick = (await runtime.accounts.create("quick-tenant")).account
            await store.set_webhook(slow.id, hanging.url, "a", True, now)
            await store.set_webhook(quick.id, fast.url, "b", True, now)
            # The hanging account's 30 events are older, so they are due first.
            for n in range(30):
                await submit(runtime, slow, f"慢租户签名{n}")
            quick_ids = {await submit(runtime, quick, f"快租户签名{n}") for n in range(5)}

            worker = DeliveryWorker(
                store, runtime.clock, schedule=RetrySchedule(), timeout=HANG * 2, poll_interval=0.05
            )
            running = asyncio.create_task(worker.run())
            try:
                async with asyncio.timeout(30):
                    while len(fast.received) < 5 or len(hanging.received) < 1:
                        await asyncio.sleep(0.05)
                    while not await all_delivered(store, quick.id):
                        await asyncio.sleep(0.05)
                # The hanging receiver still holds what it was sent: nothing of the slow
                # account has finished, and it got no more than its own share of senders.
                assert 1 <= len(hanging.received) <= worker.fairness.per_target
                slow_deliveries = await store.deliveries(account_id=slow.id, limit=100)
                assert len(slow_deliveries) == 30
                assert {d.status for d in slow_deliveries} == {DeliveryStatus.PENDING}
                assert {d.attempts for d in slow_deliveries} == {0}
            finally:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
            # Stopping hands the hanging sends' leases back for the next worker.
            again = await store.claim_deliveries("next", runtime.clock.now(), 60, 100)
            assert len(again) == 30
        received = {r.json["signature"]["id"] for r in fast.received}
        assert received == quick_ids

    try:
        asyncio.run(scenario())
    finally:
        hanging.stop()
        fast.stop()
