"""The delivery worker in-process, on a pinned clock: schedule, giving up, sharing the work.

These drive `DeliveryWorker.step()` directly against a real store (SQLite, and PostgreSQL
where it runs) and a local receiver, so a day of retries takes milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.webhooks import DeliveryStatus, DeliveryWorker, RetrySchedule, render_event
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.model import Account, Draft, Image, Status
from smssign.store.backoffice import BackofficeStore
from tests import databases
from tests.backoffice import Receiver, signed_correctly
from tests.samples import png
from tests.services import postgres_admin_url

START = 1_800_000_000.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@asynccontextmanager
async def world(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, BackofficeStore]]:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data")
    async with open_runtime(
        settings, clock=FixedClock(START), randomness=SeededRandomness(4)
    ) as runtime:
        yield runtime, BackofficeStore(runtime.repository.engine, render_event)


async def submit(runtime: Runtime, account: Account, name: str) -> int:
    image = Image(png(), "PNG", 8, 8)
    draft = Draft(name=name, sign_type=0, document_type=1, proof_images=(image,))
    return (await runtime.signatures.add(account, draft, dialect="test")).signature.id


def worker(store: BackofficeStore, clock: Any, schedule: RetrySchedule) -> DeliveryWorker:
    return DeliveryWorker(store, clock, schedule=schedule, timeout=5, batch=5)


def test_gives_up_when_the_schedule_runs_out(tmp_path: Path, receiver: Receiver) -> None:
    receiver.default_status = 500

    async def scenario() -> None:
        async with world(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path) as (runtime, store):
            clock = runtime.clock
            assert isinstance(clock, FixedClock)
            account = (await runtime.accounts.create("acme")).account
            await store.set_webhook(account.id, receiver.url, "s3cret", True, clock.now())
            sign_id = await submit(runtime, account, "重试签名")
            sender = worker(
                store, clock, RetrySchedule((10.0, 20.0), every=100.0, give_up_after=250)
            )
            async with httpx.AsyncClient() as client:
                await sender.step(client)  # attempt 1 at +0
                for seconds in (9, 1, 20, 100, 99):  # due at +10, +30, +130, +230
                    clock.advance(seconds)
                    await sender.step(client)
                (delivery,) = await store.deliveries(signature_id=sign_id)
                assert delivery.status is DeliveryStatus.PENDING and delivery.attempts == 4
                clock.advance(1)
                await sender.step(client)  # +230: the next would be +330 > +250
            (delivery,) = await store.deliveries(signature_id=sign_id)
            assert delivery.status is DeliveryStatus.FAILED
            attempts = await store.attempts(delivery.id)
            assert [a.started_at - START for a in attempts] == [0, 10, 30, 130, 230]
            assert {a.status_code for a in attempts} == {500}
            assert all(a.response == "not now" and not a.delivered for a in attempts)

            # An operator's retry makes one more attempt now; this time it gets through.
            receiver.default_status = 204
            await store.retry_delivery(delivery.id, clock.now())
            async with httpx.AsyncClient() as client:
                await sender.step(client)
            (delivery,) = await store.deliveries(signature_id=sign_id)
            assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 6

    asyncio.run(scenario())
    assert len(receiver.events("signature.submitted")) == 6
    assert all(signed_correctly("s3cret", r) for r in receiver.received)


def test_the_default_schedule() -> None:
    schedule = RetrySchedule()
    at, failures, times = START, 0, []
    while True:
        failures += 1
        following = schedule.next_attempt(failures, START, at)
        if following is None:
            break
        times.append(following - START)
        at = following
    assert times[:4] == [60, 360, 960, 4560]
    assert all(b - a == 3600 for a, b in itertools.pairwise(times[3:]))
    assert times[-1] <= 24 * 3600 < times[-1] + 3600


def test_a_removed_or_paused_webhook_gets_nothing(tmp_path: Path, receiver: Receiver) -> None:
    async def scenario() -> None:
        async with world(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path) as (runtime, store):
            clock = runtime.clock
            account = (await runtime.accounts.create("acme")).account
            before = await submit(runtime, account, "设置前签名")
            assert isinstance(clock, FixedClock)
            clock.advance(1)
            await store.set_webhook(account.id, receiver.url, "k", False, clock.now())
            paused = await submit(runtime, account, "暂停时签名")
            sender = worker(store, clock, RetrySchedule())
            async with httpx.AsyncClient() as client:
                await sender.step(client)
                await store.set_webhook(account.id, receiver.url, "k", True, clock.now())
                live = await submit(runtime, account, "启用后签名")
                await runtime.signatures.review(live, Status.APPROVED)
                receiver.default_status = 500
                await sender.step(client)
                assert await store.remove_webhook(account.id, clock.now())
                clock.advance(3600)
                await sender.step(client)
            deliveries = await store.deliveries(account_id=account.id)
            assert {d.signature_id for d in deliveries} == {live}
            assert {d.status for d in deliveries} == {DeliveryStatus.CANCELLED}
            assert before and paused

    asyncio.run(scenario())
    assert {r.json["type"] for r in receiver.received} == {
        "signature.submitted",
        "signature.approved",
    }


def share_the_work(database_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """Three workers on one database: every event reaches the receiver exactly once."""

    async def scenario() -> None:
        async with world(database_url, tmp_path) as (runtime, store):
            clock = runtime.clock
            account = (await runtime.accounts.create("acme")).account
            await store.set_webhook(account.id, receiver.url, "k", True, clock.now())
            for n in range(30):
                await submit(runtime, account, f"并发签名{n}")
            workers = [worker(store, clock, RetrySchedule()) for _ in range(3)]
            async with httpx.AsyncClient() as client:
                for _ in range(10):
                    await asyncio.gather(*(w.step(client) for w in workers))
            deliveries = await store.deliveries(account_id=account.id, limit=100)
            assert len(deliveries) == 30
            assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED}
            assert {d.attempts for d in deliveries} == {1}

    asyncio.run(scenario())
    ids = [r.json["id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 30


def test_workers_share_the_work_on_sqlite(tmp_path: Path, receiver: Receiver) -> None:
    share_the_work(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, receiver)


def test_workers_share_the_work_on_postgresql(tmp_path: Path, receiver: Receiver) -> None:
    share_the_work(databases.create_database(postgres_admin_url()), tmp_path, receiver)


def _gone_pid() -> int:
    """A process id no process has now (the first free one below the kernel's limit)."""
    import os

    for pid in range(4_000_000, 3_000_000, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    raise AssertionError("no free pid found")


def test_a_restart_takes_over_the_leases_of_a_killed_process(
    tmp_path: Path, receiver: Receiver
) -> None:
    """A worker whose process died (kill -9) holds its claims until their lease runs out,
    unless a worker of the same host finds the process gone: then it frees them at once."""
    import os
    import socket

    async def scenario() -> None:
        async with world(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path) as (runtime, store):
            clock = runtime.clock
            account = (await runtime.accounts.create("acme")).account
            await store.set_webhook(account.id, receiver.url, "s3cret", True, clock.now())
            await submit(runtime, account, "接管签名")
            await submit(runtime, account, "存活签名")
            await submit(runtime, account, "别处签名")
            await store.dispatch_events(clock.now(), limit=10)
            host = socket.gethostname()
            dead = f"{host}:{_gone_pid()}:1"
            alive = f"{host}:{os.getppid()}:2"
            elsewhere = f"other-host:{_gone_pid()}:3"
            for holder in (dead, alive, elsewhere):
                await store.claim_deliveries(holder, clock.now(), 60.0, 1)
            assert await store.lease_holders(clock.now()) == sorted([dead, alive, elsewhere])
            sender = worker(store, clock, RetrySchedule())
            assert await sender.free_orphans() == [dead]
            assert await store.lease_holders(clock.now()) == sorted([alive, elsewhere])
            async with httpx.AsyncClient() as client:
                await sender.step(client)
            statuses = sorted(d.status.value for d in await store.deliveries())
            assert statuses == ["delivered", "pending", "pending"]

    asyncio.run(scenario())
    assert len(receiver.received) == 1
