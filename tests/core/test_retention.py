"""Message retention on a SQLite file and a pinned clock: what is older than the period goes
(messages, replies, their events and finished webhook deliveries), the rest stays.

The clock is moved by hand, so 31 days pass in no time; the pruning is the same call the
server's hourly task makes (`Retention.run_once`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.retention import DAY, Retention
from smssign.backoffice.webhooks import RetrySchedule, render_event
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.deliveries import Outcome
from smssign.core.model import Draft, Image, Status, TemplateType
from smssign.core.ports import MessageFilter
from smssign.core.sending import SendRequest
from smssign.core.templates import TemplateDraft
from smssign.store import tables as t
from smssign.store.backoffice import BackofficeStore
from tests.core.test_sending import ready_account, request
from tests.samples import png

START = 1_800_000_000.0
IMAGE = Image(png(), "PNG", 8, 8)


async def counts(runtime: Runtime) -> dict[str, int]:
    found = {}
    async with runtime.repository.engine.connect() as conn:
        for table in (t.messages, t.replies, t.deliveries, t.delivery_attempts):
            query = select(func.count()).select_from(table)
            found[table.name] = int((await conn.execute(query)).scalar_one())
        kinds = select(t.events.c.subject_kind, func.count()).group_by(t.events.c.subject_kind)
        for kind, number in (await conn.execute(kinds)).all():
            found[f"events:{kind}"] = int(number)
    return found


async def scenario(tmp_path: Path) -> None:
    clock = FixedClock(START)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path / "d")
    async with open_runtime(settings, clock=clock, randomness=SeededRandomness(3)) as runtime:
        store = BackofficeStore(runtime.repository.engine, render_event)
        account = (await runtime.accounts.create("acme")).account
        await store.set_webhook(account.id, "http://127.0.0.1:9/hook", "whsec_x", True, START)
        sign = await runtime.signatures.add(
            account,
            Draft(name="腾讯", sign_type=0, document_type=1, proof_images=(IMAGE,)),
            dialect="t",
        )
        await runtime.signatures.review(sign.signature.id, Status.APPROVED)
        template = await runtime.templates.add(
            account, TemplateDraft("码", "验证码{1}", TemplateType.VERIFICATION, False), dialect="t"
        )
        await runtime.templates.review(template.template.id, Status.APPROVED)

        async def send(*mobiles: str) -> list[int]:
            result = await runtime.sending.send(
                account,
                SendRequest(
                    dialect="t",
                    mobiles=mobiles,
                    template_id=template.template.id,
                    sign="腾讯",
                    params=("1234",),
                    provider_ids=lambda n: f"serial-{n}",
                    most_numbers=200,
                ),
            )
            return [m.id for m in result.accepted]

        async def deliver_webhooks() -> None:
            # Every event becomes a delivery, and each is sent successfully once.
            await store.dispatch_events(clock.now(), 1000)
            claims = await store.claim_deliveries("w", clock.now(), 60, 1000)
            ok = Outcome("http://127.0.0.1:9/hook", clock.now(), 0.01, 200, "", "ok")
            for claim in claims:
                await store.record_attempt(claim, "w", ok, RetrySchedule(), clock.now())

        old = await send("13800138000", "13800138001", "13800138002")
        await runtime.sending.deliver_due()
        await runtime.sending.reply("13800138000", "好")
        await deliver_webhooks()
        clock.advance(31 * DAY)
        fresh = await send("13800138003", "13800138004")
        await runtime.sending.reply("13800138003", "收到")
        await deliver_webhooks()
        before = await counts(runtime)
        assert before["messages"] == 5 and before["replies"] == 2
        assert before["events:message"] == 3 + 3 + 2  # the old accepted and delivered, the fresh

        # Zero days keeps everything.
        assert await Retention(runtime.sending, 0).run_once() == 0
        assert await counts(runtime) == before

        # Batches of two rows a table: several transactions, everything old removed.
        pruned = await runtime.sending.prune(30 * DAY, batch=2, pause=0)
        assert (pruned.messages, pruned.replies, pruned.events) == (3, 1, 7)
        after = await counts(runtime)
        assert after["messages"] == 2 and after["replies"] == 1
        assert after["events:message"] == 2 and after["events:reply"] == 1
        # The review trail stays: signature and template events are not messages.
        assert after["events:signature"] == before["events:signature"]
        assert after["events:template"] == before["events:template"]
        # The pruned events' deliveries went with their attempts; the others stay.
        assert after["deliveries"] == before["deliveries"] - 7
        assert after["delivery_attempts"] == before["delivery_attempts"] - 7
        found, total = await runtime.sending.messages(MessageFilter(), limit=50)
        assert sorted(m.id for m in found) == sorted(fresh) and total == 2
        assert [await runtime.repository.message(i) for i in old] == [None, None, None]
        assert [r.text for r in await runtime.repository.replies()] == ["收到"]

        # The server's task prunes with the same call: nothing more is old now.
        assert await Retention(runtime.sending, 30).run_once() == 0
        clock.advance(31 * DAY)
        assert await Retention(runtime.sending, 30).run_once() == 2 + 1 + 3
        assert (await counts(runtime))["messages"] == 0


def test_messages_older_than_the_retention_period_are_pruned(tmp_path: Path) -> None:
    asyncio.run(scenario(tmp_path))


def test_an_event_whose_delivery_is_still_retried_is_kept(tmp_path: Path) -> None:
    async def run() -> None:
        clock = FixedClock(START)
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", data_dir=tmp_path)
        async with open_runtime(settings, clock=clock, randomness=SeededRandomness(3)) as runtime:
            store = BackofficeStore(runtime.repository.engine, render_event)
            account = (await runtime.accounts.create("acme")).account
            await store.set_webhook(account.id, "http://127.0.0.1:9/h", "whsec_x", True, START)
            await runtime.sending.reply("13800138000", "好", account_id=account.id)
            await store.dispatch_events(clock.now(), 100)  # a delivery, pending
            clock.advance(31 * DAY)
            pruned = await runtime.sending.prune(30 * DAY)
            assert (pruned.replies, pruned.events) == (1, 0)
            assert (await counts(runtime))["events:reply"] == 1

    asyncio.run(run())


def test_status_reports_go_with_the_last_of_their_messages(tmp_path: Path) -> None:
    """A Tencent status report carries the reports of several messages (report_items)."""

    async def run() -> None:
        clock = FixedClock(START)
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", data_dir=tmp_path)
        async with open_runtime(settings, clock=clock, randomness=SeededRandomness(5)) as runtime:
            store = BackofficeStore(
                runtime.repository.database,
                render_event,
                runtime.providers.report_formats(),
                runtime.providers.pushes,
                keys=runtime.repository.keys,
            )
            account, template_id = await ready_account(runtime)
            url = "http://127.0.0.1:9/status"
            await store.set_callbacks(account.id, "tencent", url, None, START)

            async def send_and_report(*mobiles: str) -> None:
                await runtime.sending.send(
                    account, request(template_id, *mobiles, dialect="tencent_v3")
                )
                await runtime.sending.deliver_due()
                await store.dispatch_events(clock.now(), 1000)

            await send_and_report("13800138000", "13800138001")
            clock.advance(31 * DAY)
            await send_and_report("13800138002")
            async with runtime.repository.engine.begin() as conn:
                reports = (
                    await conn.execute(
                        select(t.deliveries.c.id, t.deliveries.c.created_at).where(
                            t.deliveries.c.channel != "webhook"
                        )
                    )
                ).all()
                old = [r.id for r in reports if r.created_at < START + DAY]
                assert old and len(reports) > len(old)
                # The old reports were sent; the fresh one is still pending.
                await conn.execute(
                    t.deliveries.update()
                    .where(t.deliveries.c.id.in_(old))
                    .values(status="delivered")
                )
            before = await counts(runtime)
            pruned = await runtime.sending.prune(30 * DAY, batch=1, pause=0)
            assert pruned.messages == 2
            after = await counts(runtime)
            assert after["deliveries"] == before["deliveries"] - len(old)
            async with runtime.repository.engine.connect() as conn:
                items = (await conn.execute(select(t.report_items.c.delivery_id))).all()
            assert {row.delivery_id for row in items}.isdisjoint(old) and items

    asyncio.run(run())
