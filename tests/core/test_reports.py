"""Which events become which report deliveries (`core.reports.plan`), with the registered
formats: batches per URL, a send's own callback URL, replies, and what is not pushed."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from smssign.core import errors
from smssign.core.messages import Message, MessageStatus, Reply
from smssign.core.model import Event, EventType, Subject
from smssign.core.reports import REPLY_REPORT, STATUS_REPORT, Callbacks, ReportFormats, plan
from smssign.dialects import registry
from smssign.dialects.yunpian.reports import reply_sign

FORMATS = registry().report_formats()
SET_AT = 1_800_000_000.0
STATUS = "https://app.example/status"
REPLIES = "https://app.example/replies"


def message(n: int, dialect: str, *, callback_url: str | None = None, **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "id": n, "account_id": 1, "dialect": dialect, "mobile": f"+86138{n:08d}", "sign": "签名",
        "signature_id": None, "template_id": 7, "template_type": None, "params": ("1",),
        "text": "【签名】1", "parts": 1, "fee": 1, "provider_message_id": str(90000 + n),
        "session": "", "extend": "", "status": MessageStatus.DELIVERED, "error_code": None,
        "created_at": SET_AT, "reported_at": SET_AT + 1, "due_at": None,
        "callback_url": callback_url,
    }  # fmt: skip
    fields.update(changes)
    return Message(**fields)


def reported(n: int, m: Message, at: float = SET_AT + 1) -> Event:
    return Event(
        n, m.account_id, EventType.MESSAGE_DELIVERED, Subject("message", m.id),
        {"message": m.snapshot()}, at,
    )  # fmt: skip


def replied(n: int, dialect: str, at: float = SET_AT + 1) -> Event:
    reply = Reply(n, 1, dialect, "+8613800138000", "好", "签名", "", None, at)
    return Event(
        n, 1, EventType.REPLY_RECEIVED, Subject("reply", n), {"reply": reply.snapshot()}, at
    )


def urls(provider: str, status: str | None = STATUS, reply: str | None = REPLIES) -> Callbacks:
    return Callbacks(1, provider, status, reply, SET_AT, SET_AT)


def test_the_registered_formats_and_their_names() -> None:
    assert FORMATS.names == ("tencent", "yunpian", "aliyun")
    assert FORMATS.dialects("tencent") == ("tencent_v3", "tencent_legacy")
    assert FORMATS.dialects("aliyun") == ("aliyun",)
    with pytest.raises(errors.InvalidSubmission):
        FORMATS.named("twilio")


def test_both_tencent_dialects_batch_together_and_are_cut_at_100() -> None:
    events = [
        reported(n, message(n, "tencent_v3" if n % 2 else "tencent_legacy")) for n in range(1, 251)
    ]
    planned = plan(events, {(1, "tencent"): urls("tencent")}, FORMATS)
    assert [len(json.loads(p.body)) for p in planned] == [100, 100, 50]
    assert {(p.type, p.url, p.channel) for p in planned} == {(STATUS_REPORT, STATUS, "tencent")}
    assert [e for p in planned for e in p.events] == list(range(1, 251))
    first = json.loads(planned[0].body)[0]
    assert (first["sid"], first["mobile"], first["report_status"]) == (
        "90001",
        "13800000001",
        "SUCCESS",
    )


def test_a_sends_own_callback_url_wins_and_needs_no_account_url() -> None:
    own = "https://app.example/own"
    events = [
        reported(1, message(1, "yunpian", callback_url=own)),
        reported(2, message(2, "yunpian")),
        reported(3, message(3, "yunpian", callback_url=own)),
    ]
    with_account = plan(events, {(1, "yunpian"): urls("yunpian")}, FORMATS)
    assert [(p.url, p.events) for p in with_account] == [(own, (1, 3)), (STATUS, (2,))]
    (body,) = parse_qs(with_account[0].body)["sms_status"]
    assert [r["sid"] for r in json.loads(body)] == [90001, 90003]
    assert [(p.url, p.events) for p in plan(events, {}, FORMATS)] == [(own, (1, 3))]


def test_nothing_from_before_the_urls_were_set_nor_without_a_url_or_a_format() -> None:
    events = [
        reported(1, message(1, "tencent_v3"), at=SET_AT - 1),
        reported(2, message(2, "aliyun")),
        reported(3, message(3, "yunpian")),
        Event(4, 1, EventType.MESSAGE_ACCEPTED, Subject("message", 4), {}, SET_AT + 1),
    ]
    callbacks = {(1, "tencent"): urls("tencent"), (1, "yunpian"): urls("yunpian", status=None)}
    assert plan(events, callbacks, FORMATS) == []


def test_a_reply_goes_to_its_formats_url_or_to_every_one_without_a_dialect() -> None:
    callbacks = {(1, "tencent"): urls("tencent"), (1, "yunpian"): urls("yunpian")}
    (tencent,) = plan([replied(1, "tencent_legacy")], callbacks, FORMATS)
    assert (tencent.type, tencent.channel, tencent.subjects) == (
        REPLY_REPORT, "tencent", (Subject("reply", 1),),
    )  # fmt: skip
    assert json.loads(tencent.body)["text"] == "好"
    unknown = plan([replied(2, "")], callbacks, FORMATS)
    assert sorted(p.channel for p in unknown) == ["tencent", "yunpian"]
    assert plan([replied(3, "")], {(1, "tencent"): urls("tencent", reply=None)}, FORMATS) == []


def test_a_yunpian_reply_is_signed_with_the_key_handed_to_the_plan() -> None:
    callbacks = {(1, "tencent"): urls("tencent"), (1, "yunpian"): urls("yunpian")}
    keys = {(1, "yunpian"): "k" * 32, (2, "yunpian"): "not this account's"}
    assert FORMATS.signing_kinds == ("yunpian",)
    planned = {p.channel: p for p in plan([replied(1, "")], callbacks, FORMATS, keys)}
    (body,) = parse_qs(planned["yunpian"].body)["sms_reply"]
    item = json.loads(body)
    assert item["_sign"] == reply_sign(item, "k" * 32)
    assert "k" * 32 not in planned["tencent"].body
    (unsigned,) = plan([replied(2, "yunpian")], callbacks, FORMATS)
    (body,) = parse_qs(unsigned.body)["sms_reply"]
    assert json.loads(body)["_sign"] == reply_sign(json.loads(body), "")


def test_the_success_answers() -> None:
    tencent, yunpian = FORMATS.named("tencent"), FORMATS.named("yunpian")
    assert tencent.accepts(200, '{"result":0,"errmsg":"OK"}')
    assert not tencent.accepts(200, '{"result":1,"errmsg":"busy"}')
    assert not tencent.accepts(200, '{"result":false}')
    assert not tencent.accepts(200, "OK")
    assert not tencent.accepts(500, '{"result":0}')
    assert yunpian.accepts(200, "SUCCESS") and yunpian.accepts(200, "0\n")
    assert not yunpian.accepts(200, "FAIL") and not yunpian.accepts(503, "SUCCESS")


def test_two_formats_may_not_share_a_name() -> None:
    tencent = FORMATS.named("tencent")
    yunpian = FORMATS.named("yunpian")
    clash = dataclasses.replace(yunpian, name="tencent")
    with pytest.raises(ValueError, match="tencent"):
        ReportFormats({"a": tencent, "b": clash})
