"""The review core and the signature use cases around it, on an in-memory database:
revisions reuse stored images, refusals store nothing, free text is bounded, and the sweep
removes only what nothing names."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from smssign.app.runtime import Runtime, open_runtime, sweep_blobs
from smssign.app.settings import Settings
from smssign.blobs.filesystem import MemoryBlobs
from smssign.core import errors, images
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.model import SIGNATURE, Draft, Image, Revision, Status, Subject
from tests.samples import png

IMAGE = Image(png(), "PNG", 8, 8)
OTHER = Image(png(color=(1, 2, 3)), "PNG", 8, 8)


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
def blobs() -> MemoryBlobs:
    return MemoryBlobs()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def runtime(
    tmp_path: Path, blobs: MemoryBlobs, loop: asyncio.AbstractEventLoop
) -> Iterator[Runtime]:
    context = open_runtime(
        Settings(database_url="sqlite:///:memory:", data_dir=tmp_path),
        clock=FixedClock(1_700_000_000),
        randomness=SeededRandomness(1),
        blobs=blobs,
    )
    runtime = loop.run_until_complete(context.__aenter__())
    yield runtime
    loop.run_until_complete(context.__aexit__(None, None, None))


def run(loop: asyncio.AbstractEventLoop, coro: object) -> object:
    return loop.run_until_complete(coro)  # type: ignore[arg-type]


def test_a_revision_keeps_stored_images_without_reading_them(
    runtime: Runtime, blobs: MemoryBlobs, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        added = await runtime.signatures.add(
            account, draft("原图", commission_image=OTHER, purpose=1), dialect="t"
        )
        blobs.clear()  # nothing may be read back: the digests are reused as stored
        revised = await runtime.signatures.revise(
            account, added.signature.id, Revision(name="新名", remark="改"), dialect="legacy"
        )
        assert revised.signature.proof_images == added.signature.proof_images
        assert revised.signature.commission_image == added.signature.commission_image
        assert (revised.signature.name, revised.signature.remark) == ("新名", "改")
        assert (revised.signature.sign_type, revised.signature.purpose) == (0, 1)
        assert revised.application.snapshot["proof_images"] == list(added.signature.proof_images)
        replaced = await runtime.signatures.revise(
            account,
            added.signature.id,
            Revision(proof_images=(OTHER,), extra={"industry_type": "电商"}),
            dialect="yunpian",
        )
        assert replaced.signature.proof_images == (hashlib.sha256(OTHER.data).hexdigest(),)
        assert replaced.signature.extra == {"industry_type": "电商"}
        assert replaced.signature.remark == "改"

    run(loop, scenario())


def test_refused_submissions_store_no_image(
    runtime: Runtime, blobs: MemoryBlobs, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        added = await runtime.signatures.add(account, draft("已有"), dialect="t")
        await runtime.signatures.review(added.signature.id, Status.APPROVED)
        blobs.clear()
        fresh = Image(png(color=(9, 9, 9)), "PNG", 8, 8)
        refusals = [
            runtime.signatures.add(account, draft("已有", proof_images=(fresh,)), dialect="t"),
            runtime.signatures.add(
                account, draft("资质", proof_images=(fresh,), qualification_id=77), dialect="t"
            ),
            runtime.signatures.modify(
                account, added.signature.id, draft("改", proof_images=(fresh,)), dialect="t"
            ),
            runtime.signatures.modify(
                account, 999, draft("无", proof_images=(fresh,)), dialect="t"
            ),
            runtime.signatures.revise(
                account, added.signature.id, Revision(proof_images=(fresh,)), dialect="t"
            ),
            runtime.signatures.revise(
                account, 1, Revision(extra_images={"id_card_front": fresh}), dialect="t"
            ),
        ]
        for refusal in refusals:
            with pytest.raises(errors.SmssignError):
                await refusal
        account = await runtime.accounts.update(account.id, signature_quota=1)
        with pytest.raises(errors.QuotaExceeded):
            await runtime.signatures.add(account, draft("满了", proof_images=(fresh,)), dialect="t")
        assert [d async for d, _ in blobs.inventory()] == []

    run(loop, scenario())


def test_free_text_is_bounded_and_a_refusal_changes_nothing(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        added = await runtime.signatures.add(account, draft("备注", remark="x" * 500), dialect="t")
        before = await runtime.repository.events(account.id)
        long = "x" * 9_000_000
        for attempt in (
            runtime.signatures.add(account, draft("太长", remark=long), dialect="t"),
            runtime.signatures.modify(
                account, added.signature.id, draft("太长", remark=long), dialect="t"
            ),
            runtime.signatures.revise(
                account, added.signature.id, Revision(remark=long), dialect="t"
            ),
            runtime.signatures.revise(
                account, added.signature.id, Revision(extra={"website": long}), dialect="t"
            ),
            runtime.signatures.add(account, draft("名" * 101), dialect="t"),
            runtime.signatures.review(
                added.signature.id, Status.REJECTED, reason="x" * 501, reviewer="t"
            ),
        ):
            with pytest.raises(errors.InvalidSubmission) as refused:
                await attempt
            assert "at most" in refused.value.reason
        assert await runtime.repository.events(account.id) == before

    run(loop, scenario())


def test_reviews_work_on_subjects_and_refuse_unknown_kinds(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        added = await runtime.signatures.add(account, draft("主体"), dialect="t")
        subject = Subject(SIGNATURE, added.signature.id)
        decided = await runtime.signatures.reviews.review(
            subject, Status.REJECTED, reason="不清晰", reviewer="alice"
        )
        assert (decided.status, decided.review_reply) == (Status.REJECTED, "不清晰")
        [application] = await runtime.repository.applications(subject)
        assert application.subject == subject and application.signature_id == subject.id
        events = await runtime.repository.events(account.id)
        assert [e.subject for e in events] == [subject, subject]
        assert events[-1].payload["signature"]["status"] == "rejected"
        with pytest.raises(errors.NotFound):
            await runtime.signatures.reviews.review(Subject("template", 1), Status.APPROVED)

    run(loop, scenario())


def test_the_sweep_spares_referenced_and_recent_images(
    runtime: Runtime, blobs: MemoryBlobs, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        added = await runtime.signatures.add(account, draft("保留"), dialect="t")
        await runtime.signatures.revise(
            account, added.signature.id, Revision(proof_images=(OTHER,)), dialect="t"
        )
        orphan = await blobs.put(b"left behind by a crash")
        # The first image is no signature's now, but the first application still names it.
        recent = await sweep_blobs(runtime)
        assert recent.removed == ()
        runtime.clock.advance(2 * images.SWEEP_GRACE)  # type: ignore[attr-defined]
        swept = await images.sweep(
            blobs, runtime.repository, runtime.clock.now() + 10**10, images.SWEEP_GRACE
        )
        assert swept.removed == (orphan,)
        assert {d async for d, _ in blobs.inventory()} == {
            hashlib.sha256(IMAGE.data).hexdigest(),
            hashlib.sha256(OTHER.data).hexdigest(),
        }

    run(loop, scenario())
