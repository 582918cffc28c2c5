"""Sending in the core, on an in-memory database: the checks and their neutral errors,
per-number results, one transaction with an event per accepted message, frequency limits
and their per-account changes, balance, simulated delivery and outcome rules, replies and
the pull queues."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.core import errors, numbers
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.messages import FrequencyLimit, MessageStatus, inbox_view
from smssign.core.model import Account, Draft, EventType, Image, Status, TemplateType
from smssign.core.ports import MessageFilter
from smssign.core.sending import SendRequest, SendService
from smssign.core.templates import TemplateDraft
from tests.samples import png

IMAGE = Image(png(), "PNG", 8, 8)
START = 1_700_000_000.0
LIMITS = (
    FrequencyLimit("thirty", 1, window=30, same_content=True),
    FrequencyLimit("hour", 3, window=3600),
    FrequencyLimit("day", 4, day_offset_hours=8),
)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def runtime(
    tmp_path: Path, loop: asyncio.AbstractEventLoop, clock: FixedClock
) -> Iterator[Runtime]:
    context = open_runtime(
        Settings(database_url="sqlite:///:memory:", data_dir=tmp_path),
        clock=clock,
        randomness=SeededRandomness(1),
    )
    runtime = loop.run_until_complete(context.__aenter__())
    yield runtime
    loop.run_until_complete(context.__aexit__(None, None, None))


@pytest.fixture
def sending(runtime: Runtime, clock: FixedClock) -> SendService:
    return SendService(runtime.repository, clock, frequency_limits={"t": LIMITS})


async def ready_account(
    runtime: Runtime,
    *,
    content: str = "您的验证码是{1}，{2}分钟内有效。",
    international: bool = False,
) -> tuple[Account, int]:
    """An account with the approved signature 腾讯 and an approved template; its id."""
    account = (await runtime.accounts.create(f"acme{international}{len(content)}")).account
    change = await runtime.signatures.add(
        account,
        Draft(name="腾讯", sign_type=0, document_type=1, proof_images=(IMAGE,),
              international=international),
        dialect="t",
    )  # fmt: skip
    await runtime.signatures.review(change.signature.id, Status.APPROVED)
    added = await runtime.templates.add(
        account,
        TemplateDraft("验证码", content, TemplateType.VERIFICATION, international),
        dialect="t",
    )
    await runtime.templates.review(added.template.id, Status.APPROVED)
    return account, added.template.id


def request(template_id: int, *mobiles: str, **changes: object) -> SendRequest:
    fields: dict[str, object] = {
        "dialect": "t",
        "mobiles": mobiles,
        "template_id": template_id,
        "sign": "腾讯",
        "params": ("1234", "5"),
        "provider_ids": lambda position: f"serial-{position}",
        "most_numbers": 200,
    }
    fields.update(changes)
    return SendRequest(**fields)  # type: ignore[arg-type]


def test_numbers_are_normalised_to_e164() -> None:
    assert numbers.normalise("13800138000").e164 == "+8613800138000"
    assert numbers.normalise("008613800138000").e164 == "+8613800138000"
    assert numbers.normalise("8613800138000").e164 == "+8613800138000"
    assert numbers.normalise("+1 415-555-0100").e164 == "+14155550100"
    mobile = numbers.normalise("+85261234567")
    assert (mobile.country_code, mobile.national, mobile.mainland, mobile.iso_code) == (
        "852", "61234567", False, "HK",
    )  # fmt: skip
    for bad in ("12345", "+8612345678901", "1380013800a", "", "+0123456789"):
        with pytest.raises(errors.InvalidNumber):
            numbers.normalise(bad)


def test_segments_follow_the_70_67_rule_and_gsm_abroad() -> None:
    assert [numbers.segments("字" * n) for n in (70, 71, 134, 135, 500)] == [1, 2, 2, 3, 8]
    assert numbers.segments("a" * 160, international=True) == 1
    assert numbers.segments("a" * 161, international=True) == 2
    assert numbers.segments("{" * 80, international=True) == 1
    assert numbers.segments("{" * 81, international=True) == 2
    assert numbers.segments("a" * 161) == 3


def test_a_send_stores_each_message_with_its_event_before_it_returns(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        result = await sending.send(
            account,
            request(
                template_id, "13800138000", "+86 138 0013 8001", session="ctx",
                callback_url="http://127.0.0.1:9/status",
            ),
        )  # fmt: skip
        assert result.request_error is None
        first, second = result.accepted
        assert (first.mobile, second.mobile) == ("+8613800138000", "+8613800138001")
        assert first.text == "【腾讯】您的验证码是1234，5分钟内有效。"
        assert (first.parts, first.fee, first.provider_message_id, first.session) == (
            1, 1, "serial-0", "ctx",
        )  # fmt: skip
        assert first.status is MessageStatus.PENDING
        events = [
            e
            for e in await runtime.repository.events(account.id)
            if e.type.value.startswith("message")
        ]
        assert [e.type for e in events] == [EventType.MESSAGE_ACCEPTED] * 2
        assert events[0].payload["message"]["provider_message_id"] == "serial-0"
        assert events[0].payload["message"]["callback_url"] == "http://127.0.0.1:9/status"
        page, total = await sending.messages(MessageFilter(account_id=account.id))
        assert total == 2 and [m.id for m in page] == [second.id, first.id]
        view = inbox_view(first)
        assert view["id"] == str(first.id) and view["params"] == ["1234", "5"]
        assert view["created_at"] == "2023-11-14T22:13:20Z" and view["reported_at"] is None
        settings = await runtime.repository.sending_settings(account.id)
        assert settings is not None and settings.balance == 1_000_000 - 2

    loop.run_until_complete(scenario())


def test_good_and_bad_numbers_of_one_request_each_get_their_result(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        result = await sending.send(
            account, request(template_id, "13800138000", "12345", "+8613900000009")
        )
        good, malformed, blocked = result.results
        assert good.message is not None and good.error is None
        assert isinstance(malformed.error, errors.InvalidNumber) and malformed.mobile == "12345"
        assert isinstance(blocked.error, errors.NumberBlocked)
        _, total = await sending.messages(MessageFilter(account_id=account.id))
        assert total == 1

    loop.run_until_complete(scenario())


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"sign": "别人"}, errors.SignatureNotApproved),
        ({"template_id": 9999}, errors.TemplateNotFound),
        ({"params": ("1234",)}, errors.ParameterMismatch),
        ({"params": ("1234", "")}, errors.ParameterMismatch),
        ({"params": ("长" * 490, "5")}, errors.ContentTooLong),
    ],
)
def test_a_check_that_concerns_every_number_refuses_all_and_stores_nothing(
    runtime: Runtime,
    sending: SendService,
    loop: asyncio.AbstractEventLoop,
    changes: dict[str, object],
    error: type[errors.SendRefused],
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        fields = {"template_id": template_id, **changes}
        result = await sending.send(
            account,
            request(fields.pop("template_id"), "13800138000", "13800138001", **fields),  # type: ignore[arg-type]
        )
        assert isinstance(result.request_error, error)
        assert [type(r.error) for r in result.results] == [error, error]
        assert (await sending.messages())[1] == 0

    loop.run_until_complete(scenario())


def test_unapproved_templates_scopes_and_request_limits(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        pending = await runtime.templates.add(
            account, TemplateDraft("通知", "您好{1}", TemplateType.NOTIFICATION, False), dialect="t"
        )
        result = await sending.send(
            account, request(pending.template.id, "13800138000", params=("x",))
        )
        assert isinstance(result.request_error, errors.TemplateNotApproved)
        abroad = await sending.send(account, request(template_id, "+14155550100"))
        error = abroad.results[0].error
        assert isinstance(error, errors.ScopeMismatch) and not error.template_international
        with pytest.raises(errors.MixedScope):
            await sending.send(account, request(template_id, "13800138000", "+14155550100"))
        with pytest.raises(errors.TooManyNumbers):
            await sending.send(account, request(template_id, "13800138000", most_numbers=0))
        with pytest.raises(errors.NoNumbers):
            await sending.send(account, request(template_id))
        assert (await sending.messages())[1] == 0

    loop.run_until_complete(scenario())


def test_frequency_limits_count_per_number_and_change_per_account(
    runtime: Runtime, sending: SendService, clock: FixedClock, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        twice = await sending.send(account, request(template_id, "13800138000", "13800138000"))
        assert [type(r.error) for r in twice.results] == [type(None), errors.FrequencyLimited]
        assert twice.results[1].error.limit == "thirty"  # type: ignore[union-attr]
        for minute in (1, 2):
            clock.advance(60)
            sent = await sending.send(
                account, request(template_id, "13800138000", params=(str(minute), "5"))
            )
            assert sent.results[0].error is None
        clock.advance(60)
        fourth = await sending.send(account, request(template_id, "13800138000", params=("9", "5")))
        assert fourth.results[0].error.limit == "hour"  # type: ignore[union-attr]
        await runtime.repository.change_sending(account.id, balance=None, frequency={"hour": 0})
        clock.advance(1)
        assert (await sending.send(account, request(template_id, "13800138000"))).results[
            0
        ].error is None
        clock.advance(60)
        day = await sending.send(account, request(template_id, "13800138000", params=("7", "5")))
        assert day.results[0].error.limit == "day"  # type: ignore[union-attr]
        other = await sending.send(account, request(template_id, "13800138001"))
        assert other.results[0].error is None
        unlimited = SendService(runtime.repository, clock, frequency_limits={"t": LIMITS},
                                frequency_enabled=False)  # fmt: skip
        assert (await unlimited.send(account, request(template_id, "13800138000"))).accepted

    loop.run_until_complete(scenario())


def test_the_balance_is_reduced_by_each_fee_and_refuses_when_short(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        await runtime.repository.change_sending(account.id, balance=3, frequency=None)
        result = await sending.send(
            account,
            request(template_id, "13800138000", "13800138001", params=("1" * 60, "5")),
        )
        assert result.results[0].message is not None and result.results[0].message.fee == 2
        assert isinstance(result.results[1].error, errors.InsufficientBalance)
        settings = await runtime.repository.sending_settings(account.id)
        assert settings is not None and settings.balance == 1

    loop.run_until_complete(scenario())


def test_simulated_delivery_follows_the_outcome_rules_and_magic_numbers(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        await runtime.repository.add_outcome_rule(
            "+86137*", MessageStatus.FAILED, "MK:0005", account.id, "test"
        )
        mobiles = ("13800138000", "13700137000", "13900000001", "13900000004")
        result = await sending.send(account, request(template_id, *mobiles))
        assert await sending.deliver_due() == 4
        assert await sending.deliver_due() == 0
        page, _ = await sending.messages(MessageFilter(account_id=account.id))
        outcome = {m.mobile: (m.status, m.error_code) for m in page}
        assert outcome == {
            "+8613800138000": (MessageStatus.DELIVERED, None),
            "+8613700137000": (MessageStatus.FAILED, "MK:0005"),
            "+8613900000001": (MessageStatus.FAILED, "UNDELIV"),
            "+8613900000004": (MessageStatus.PENDING, None),
        }
        types = [e.type for e in await runtime.repository.events(account.id)]
        assert types.count(EventType.MESSAGE_DELIVERED) == 1
        assert types.count(EventType.MESSAGE_FAILED) == 2
        held = result.accepted[3]
        changed = await sending.set_status(held.id, MessageStatus.FAILED, "EXPIRED")
        assert (changed.status, changed.error_code, changed.reported_at) == (
            MessageStatus.FAILED, "EXPIRED", START,
        )  # fmt: skip
        with pytest.raises(errors.NotFound):
            await sending.set_status(99999, MessageStatus.DELIVERED)
        pulled = await sending.pull_reports(account.id, ["t"], 2)
        rest = await sending.pull_reports(account.id, ["t"], 100)
        assert len(pulled) == 2 and len(rest) == 2
        assert await sending.pull_reports(account.id, ["t"], 100) == []
        assert await sending.pull_reports(account.id, ["other"], 100) == []

    loop.run_until_complete(scenario())


def test_a_reply_answers_the_latest_message_to_its_number(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        await sending.send(account, request(template_id, "13800138000", extend="12"))
        reply = await sending.reply("+8613800138000", "好的")
        assert (reply.account_id, reply.sign, reply.extend, reply.dialect) == (
            account.id, "腾讯", "12", "t",
        )  # fmt: skip
        with pytest.raises(errors.NotFound):
            await sending.reply("+8613800138999", "谁")
        stray = await sending.reply("+8613800138999", "谁", account_id=account.id)
        assert stray.message_id is None
        assert [r.text for r in await sending.pull_replies(account.id, ["t"], 10)] == ["好的"]
        events = [e.type for e in await runtime.repository.events(account.id)]
        assert events.count(EventType.REPLY_RECEIVED) == 2
        assert await sending.delete(account_id=account.id) == 1
        assert await sending.latest("13800138000") is None

    loop.run_until_complete(scenario())


def test_latest_waits_for_a_message_to_arrive(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        waiting = asyncio.ensure_future(sending.latest("13800138000", wait=10))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await sending.send(account, request(template_id, "13800138000"))
        found = await asyncio.wait_for(waiting, 5)
        assert found is not None and found.mobile == "+8613800138000"
        assert await sending.latest("13800138001", wait=0) is None

    loop.run_until_complete(scenario())


def test_free_text_is_matched_to_an_approved_template(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        match = await sending.match_text(account, "【腾讯】您的验证码是8888，10分钟内有效。")
        assert (match.template.id, match.sign, match.params) == (
            template_id,
            "腾讯",
            ("8888", "10"),
        )
        with pytest.raises(errors.NoTemplateMatch):
            await sending.match_text(account, "【腾讯】别的内容")
        with pytest.raises(errors.SignatureNotApproved):
            await sending.match_text(account, "【别人】您的验证码是8888，10分钟内有效。")

    loop.run_until_complete(scenario())


def test_parameter_rules_are_what_the_dialect_declares(
    runtime: Runtime, sending: SendService, loop: asyncio.AbstractEventLoop
) -> None:
    from smssign.core.rendering import ParameterRules

    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        strict = ParameterRules(verification_digits=6, urls=False)
        cases = {("12ab", "5"): "digits", ("1234567", "5"): "digits", ("www.x.com", "5"): "url"}
        for params, rule in cases.items():
            result = await sending.send(
                account, request(template_id, "13800138000", params=params, parameter_rules=strict)
            )
            error = result.request_error
            assert isinstance(error, errors.ParameterRejected) and error.rule == rule, params
        loose = await sending.send(
            account, request(template_id, "13800138000", params=("12ab", "5"))
        )
        assert loose.request_error is None
        named = await runtime.templates.add(
            account,
            TemplateDraft(
                "通知", "尊敬的{name}，订单{order}已发货", TemplateType.NOTIFICATION, False
            ),
            dialect="t",
        )
        await runtime.templates.review(named.template.id, Status.APPROVED)
        capped = ParameterRules(longest=4)
        by_name = await sending.send(
            account,
            request(named.template.id, "13800138001", params={"name": "王", "order": "A1"},
                    parameter_rules=capped),
        )  # fmt: skip
        assert by_name.accepted[0].text == "【腾讯】尊敬的王，订单A1已发货"
        assert by_name.accepted[0].params == {"name": "王", "order": "A1"}
        too_long = await sending.send(
            account,
            request(named.template.id, "13800138002", params={"name": "王", "order": "A12345"},
                    parameter_rules=capped),
        )  # fmt: skip
        assert isinstance(too_long.request_error, errors.ParameterRejected)
        assert too_long.request_error.rule == "length"
        missing = await sending.send(
            account, request(named.template.id, "13800138002", params={"name": "王"})
        )
        assert isinstance(missing.request_error, errors.ParameterMismatch)

    loop.run_until_complete(scenario())


def test_an_account_quota_counts_every_number_by_calendar_month_and_refuses_whole(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    china = timezone(timedelta(hours=8))
    month = FrequencyLimit("month", 2, day_offset_hours=8, month=True, per_account=True)
    # One minute before February in China, still January 31 15:59 in UTC.
    eve = datetime(2026, 1, 31, 23, 59, tzinfo=china).timestamp()
    assert month.window_start(eve) == datetime(2026, 1, 1, tzinfo=china).timestamp()
    clock = FixedClock(eve)
    sending = SendService(runtime.repository, clock, frequency_limits={"t": (month,)})

    async def scenario() -> None:
        account, template_id = await ready_account(runtime)
        assert len((await sending.send(account, request(template_id, "13800138000"))).accepted) == 1
        # Two numbers where one fits: neither is sent.
        both = await sending.send(account, request(template_id, "13800138001", "13800138002"))
        assert both.accepted == [] and both.request_error is not None
        assert [r.error.limit for r in both.results] == ["month", "month"]  # type: ignore[union-attr]
        assert (await sending.send(account, request(template_id, "13800138001"))).accepted
        full = await sending.send(account, request(template_id, "13800138003"))
        assert isinstance(full.request_error, errors.FrequencyLimited)
        clock.advance(60)  # February 1 00:00 in China: a new month
        assert month.window_start(clock.now()) == clock.now()
        fresh = await sending.send(account, request(template_id, "13800138003", "13800138004"))
        assert len(fresh.accepted) == 2
        # The account may switch it off, or change it, by name.
        await runtime.repository.change_sending(account.id, balance=None, frequency={"month": 0})
        assert len((await sending.send(account, request(template_id, "13800138005"))).accepted) == 1

    loop.run_until_complete(scenario())
