"""The signature service on an in-memory database: transactions, applications, events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.blobs.filesystem import MemoryBlobs
from smssign.core import errors
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.model import Account, Draft, EventType, Image, Status
from tests.samples import png

IMAGE = Image(png(), "PNG", 8, 8)


def draft(name: str, **changes: object) -> Draft:
    fields: dict[str, object] = {
        "name": name,
        "sign_type": 0,
        "document_type": 1,
        "proof_images": (IMAGE,),
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def runtime(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(database_url="sqlite:///:memory:", data_dir=tmp_path)
    context = open_runtime(
        settings,
        clock=FixedClock(1_700_000_000),
        randomness=SeededRandomness(1),
        blobs=MemoryBlobs(),
    )
    runtime = loop.run_until_complete(context.__aenter__())
    yield runtime
    loop.run_until_complete(context.__aexit__(None, None, None))


def run(loop: asyncio.AbstractEventLoop, coro: object) -> object:
    return loop.run_until_complete(coro)  # type: ignore[arg-type]


def test_add_modify_review_writes_applications_and_events(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        issued = await runtime.accounts.create("acme")
        account = issued.account
        added = await runtime.signatures.add(account, draft("第一版"), dialect="test")
        assert added.signature.status is Status.PENDING
        assert added.signature.application_id == added.application.id
        assert added.application.snapshot["name"] == "第一版"

        runtime.clock.advance(60)  # type: ignore[attr-defined]
        modified = await runtime.signatures.modify(
            account, added.signature.id, draft("第二版"), dialect="test"
        )
        assert modified.application.id != added.application.id
        assert modified.signature.submitted_at == 1_700_000_060
        rejected = await runtime.signatures.review(
            added.signature.id, Status.REJECTED, reason="模糊", reviewer="alice"
        )
        assert (rejected.status, rejected.review_reply) == (Status.REJECTED, "模糊")

        applications = await runtime.repository.applications(added.signature.id)
        assert [a.snapshot["name"] for a in applications] == ["第一版", "第二版"]
        events = await runtime.repository.events(account.id)
        assert [e.type for e in events] == [
            EventType.SUBMITTED,
            EventType.MODIFIED,
            EventType.REJECTED,
        ]
        assert events[-1].payload["reason"] == "模糊"

    run(loop, scenario())


def test_refused_change_writes_nothing(runtime: Runtime, loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        added = await runtime.signatures.add(account, draft("原名"), dialect="test")
        await runtime.signatures.review(added.signature.id, Status.APPROVED)
        before = await runtime.repository.events(account.id)
        with pytest.raises(errors.NotModifiable):
            await runtime.signatures.modify(account, added.signature.id, draft("新名"), dialect="t")
        with pytest.raises(errors.DuplicateApproved):
            await runtime.signatures.add(account, draft("原名"), dialect="test")
        with pytest.raises(errors.InvalidTransition):
            await runtime.signatures.review(added.signature.id, Status.REJECTED, reason="x")
        assert await runtime.repository.events(account.id) == before
        assert len(await runtime.repository.applications(added.signature.id)) == 1

    run(loop, scenario())


def test_delete_is_all_or_nothing(runtime: Runtime, loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        other: Account = (await runtime.accounts.create("other")).account
        mine = (await runtime.signatures.add(account, draft("我的"), dialect="t")).signature.id
        theirs = (await runtime.signatures.add(other, draft("他的"), dialect="t")).signature.id
        with pytest.raises(errors.NotFound):
            await runtime.signatures.delete(account, [mine, theirs])
        assert [s.id for s in await runtime.signatures.describe(account, [mine])] == [mine]
        await runtime.signatures.delete(account, [mine])
        assert await runtime.signatures.describe(account, [mine]) == []
        # The audit trail outlives the signature.
        assert len(await runtime.repository.applications(mine)) == 1

    run(loop, scenario())


def test_notify_is_recorded_as_an_event(runtime: Runtime, loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        await runtime.signatures.add(account, draft("通知", notify=True), dialect="t")
        types = [e.type for e in await runtime.repository.events(account.id)]
        assert types == [EventType.SUBMITTED, EventType.NOTIFICATION_REQUESTED]

    run(loop, scenario())


def test_rotate_revokes_the_old_credential(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        from tests.credentials import Dialect

        issued = await runtime.accounts.create("acme")
        old = issued.credentials[Dialect.TENCENT]
        new = await runtime.accounts.rotate(issued.account.id, Dialect.TENCENT)
        assert new.key_id != old.key_id
        assert await runtime.repository.authenticate(Dialect.TENCENT, old.key_id) is None
        found = await runtime.repository.authenticate(Dialect.TENCENT, new.key_id)
        assert found is not None and found[1].id == issued.account.id

    run(loop, scenario())
