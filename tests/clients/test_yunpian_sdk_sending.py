"""yunpian-python-sdk `sms()` and `user()` end to end over HTTP: the five send actions, their
error codes, the pull queues, the balance, and the messages in the inbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.core.messages import MessageStatus
from smssign.dialects.yunpian.reports import reply_sign
from tests.conftest import Server, start_server, stop_server
from tests.dialects.yunpian.sending import SIGN, Sender, ready

CODE = f"【{SIGN}】您的验证码是{{}}，5分钟内有效。"
NOTICE = f"【{SIGN}】您的订单{{}}已发货，快递单号{{}}。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """With the testing routes (the inbox), without rate or frequency limits."""
    s = start_server(tmp_path_factory.mktemp("yunpian-send"), "--testing", "--no-rate-limit")
    yield s
    stop_server(s)


@pytest.fixture
def sender(server: Server) -> Sender:
    return ready(server)


@pytest.fixture
def sms(sender: Sender) -> Any:
    return sender.client().sms()


def assert_refused(r: Any, code: int) -> None:
    assert r.code() == code, (r.code(), r.msg(), r.detail())
    assert r.msg() and isinstance(r.detail(), str) and r.data() is None


def reported(sender: Sender, count: int) -> None:
    """Wait for simulated delivery (no delay) to decide `count` messages of the account."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        decided = [m for m in sender.messages() if m.status is not MessageStatus.PENDING]
        if len(decided) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("simulated delivery did not report")


def test_single_send_like_the_captured_request(sender: Sender, sms: Any, server: Server) -> None:
    r = sms.single_send(
        {
            YC.MOBILE: "13800138000",
            YC.TEXT: CODE.format("1234"),
            YC.UID: "order-1",
            YC.EXTEND: "001",
            YC.CALLBACK_URL: "http://127.0.0.1:9/status",
        }
    )
    assert r.code() == 0 and r.msg() == "发送成功", r.detail()
    data = r.data()
    assert {k: data[k] for k in ("code", "count", "fee", "unit", "mobile")} == {
        "code": 0, "count": 1, "fee": 0.05, "unit": "RMB", "mobile": "13800138000",
    }  # fmt: skip
    assert isinstance(data["sid"], int) and data["sid"] > 0
    (message,) = sender.messages()
    assert (message.dialect, message.mobile, message.text) == (
        "yunpian", "+8613800138000", CODE.format("1234"),
    )  # fmt: skip
    assert (message.template_id, message.params) == (sender.code_id, ("1234",))
    assert (message.session, message.extend) == ("order-1", "001")
    assert message.callback_url == "http://127.0.0.1:9/status"
    assert message.provider_message_id == str(data["sid"])
    listed = httpx.get(
        f"{server.url}/_smssign/messages",
        params={"dialect": "yunpian", "account_id": sender.account_id},
    ).json()
    assert listed["total"] == 1
    (shown,) = listed["messages"]
    assert shown["dialect"] == "yunpian" and shown["provider_message_id"] == str(data["sid"])
    assert shown["text"] == CODE.format("1234") and shown["fee"] == 1


def test_an_international_number_with_its_plus_encoded(sender: Sender, sms: Any) -> None:
    # A mainland template abroad: 23. The `+` survived the form encoding as a number.
    r = sms.single_send({YC.MOBILE: "+14155550100", YC.TEXT: CODE.format("1")})
    assert_refused(r, 23)


def test_single_send_errors(sender: Sender, sms: Any) -> None:
    assert_refused(sms.single_send({YC.MOBILE: "", YC.TEXT: CODE.format("1")}), 1)
    assert_refused(sms.single_send({YC.MOBILE: "12345", YC.TEXT: CODE.format("1")}), 2)
    two = sms.single_send({YC.MOBILE: "13800138000,13800138001", YC.TEXT: CODE.format("1")})
    assert_refused(two, 2)
    assert_refused(sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: "您的验证码是1"}), 16)
    other = sms.single_send(
        {YC.MOBILE: "13800138000", YC.TEXT: "【别家】您的验证码是1，5分钟内有效。"}
    )
    assert_refused(other, 15)
    assert "别家" in other.detail()
    assert_refused(sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: f"【{SIGN}】你好"}), 5)
    # Only the pending template matches: still 5, the text names no template.
    pending = sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: f"【{SIGN}】您的积分9即将过期。"})
    assert_refused(pending, 5)
    assert_refused(sms.single_send({YC.MOBILE: "13900000009", YC.TEXT: CODE.format("1")}), 10)
    long = sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: CODE.format("9" * 600)})
    assert_refused(long, 2)
    bad_extend = {YC.MOBILE: "13800138000", YC.TEXT: CODE.format("1"), YC.EXTEND: "a1"}
    assert_refused(sms.single_send(bad_extend), 2)
    bad_url = {YC.MOBILE: "13800138000", YC.TEXT: CODE.format("1"), YC.CALLBACK_URL: "ftp://x"}
    assert_refused(sms.single_send(bad_url), 2)
    assert sender.messages() == []


def test_an_unknown_apikey_and_a_closed_account(server: Server, sender: Sender) -> None:
    conf = {YC.YP_SMS_HOST: server.url}
    stranger = YunpianClient("0123456789abcdef0123456789abcdef", conf=conf).sms()
    assert_refused(stranger.single_send({YC.MOBILE: "13800138000", YC.TEXT: CODE.format("1")}), -1)
    server.set_account(sender.account_id, ip_allow=["10.9.9.9"])
    r = sender.client().sms().single_send({YC.MOBILE: "13800138000", YC.TEXT: CODE.format("1")})
    assert_refused(r, -3)
    assert sender.messages() == []


def test_balance_is_code_3_and_user_get_shows_it_in_rmb(sender: Sender, sms: Any) -> None:
    user = sender.client().user()
    sender.set_sending(balance=3)
    r = user.get()
    assert r.code() == 0
    assert r.data()["balance"] == 0.15 and r.data()["alarm_balance"] == 0
    assert isinstance(r.data()["nick"], str) and r.data()["api_version"] == "v2"
    assert sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: CODE.format("1")}).code() == 0
    assert user.get().data()["balance"] == 0.1
    batch = sms.batch_send(
        {YC.MOBILE: "13800138001,13800138002,13800138003", YC.TEXT: NOTICE.format("A", "1")}
    )
    assert batch.code() == 0
    assert [item["code"] for item in batch.data()["data"]] == [0, 0, 3]
    assert batch.data()["total_count"] == 2 and batch.data()["total_fee"] == "0.1000"
    assert user.get().data()["balance"] == 0.0
    assert_refused(sms.single_send({YC.MOBILE: "13800138004", YC.TEXT: CODE.format("2")}), 3)
    assert len(sender.messages()) == 3


def test_batch_send_answers_per_number_in_request_order(sender: Sender, sms: Any) -> None:
    mobiles = "13800138000, 13800138001,123,13900000009"
    r = sms.batch_send({YC.MOBILE: mobiles, YC.TEXT: NOTICE.format("SF1", "77"), YC.UID: "b-1"})
    assert r.code() == 0, r.detail()
    data = r.data()
    assert [(i["code"], i["mobile"]) for i in data["data"]] == [
        (0, "13800138000"), (0, "13800138001"), (2, "123"), (10, "13900000009"),
    ]  # fmt: skip
    failed = data["data"][2]
    assert (failed["count"], failed["fee"], failed["sid"]) == (0, 0, 0)
    assert (data["total_count"], data["total_fee"], data["unit"]) == (2, "0.1000", "RMB")
    stored = sorted(sender.messages(), key=lambda m: m.mobile)
    assert [m.mobile for m in stored] == ["+8613800138000", "+8613800138001"]
    assert all(m.session == "b-1" and m.params == ("SF1", "77") for m in stored)
    # A text that matches nothing refuses the whole batch.
    assert_refused(sms.batch_send({YC.MOBILE: mobiles, YC.TEXT: f"【{SIGN}】随便"}), 5)
    mixed = sms.batch_send(
        {YC.MOBILE: "13800138000,+14155550100", YC.TEXT: NOTICE.format("A", "1")}
    )
    assert_refused(mixed, 2)
    assert len(sender.messages()) == 2


def test_multi_send_decodes_each_text_twice(sender: Sender, sms: Any) -> None:
    client = sender.client()
    texts = [CODE.format("12,34"), NOTICE.format("X", "9"), CODE.format("12,34")]
    r = sms.multi_send(
        {YC.MOBILE: "13800138000,13800138001,13800138002", YC.TEXT: client.urlEncodeAndJoin(texts)}
    )
    assert r.code() == 0, r.detail()
    assert [i["code"] for i in r.data()["data"]] == [0, 0, 0]
    by_mobile = {m.mobile: m for m in sender.messages()}
    assert by_mobile["+8613800138000"].text == CODE.format("12,34")
    assert by_mobile["+8613800138001"].params == ("X", "9")
    assert by_mobile["+8613800138002"].template_id == sender.code_id
    mismatch = sms.multi_send(
        {YC.MOBILE: "13800138000,13800138001", YC.TEXT: client.urlEncodeAndJoin(texts)}
    )
    assert_refused(mismatch, 25)
    unmatched = sms.multi_send(
        {YC.MOBILE: "13800138003,13800138004",
         YC.TEXT: client.urlEncodeAndJoin([CODE.format("1"), f"【{SIGN}】没有这个模板"])}
    )  # fmt: skip
    assert_refused(unmatched, 5)
    assert len(sender.messages()) == 3


def test_tpl_single_send_with_both_tpl_value_styles(sender: Sender, sms: Any) -> None:
    documented = urlencode({"#order#": "订单一", "#number#": "SF 1"})
    r = sms.tpl_single_send(
        {YC.MOBILE: "13800138000", YC.TPL_ID: sender.notice_id, YC.TPL_VALUE: documented}
    )
    assert r.code() == 0 and r.data()["count"] == 1, r.detail()
    raw = sms.tpl_single_send(
        {YC.MOBILE: "13800138001", YC.TPL_ID: str(sender.code_id), YC.TPL_VALUE: "#code#=8888"}
    )
    assert raw.code() == 0, raw.detail()
    texts = {m.mobile: m.text for m in sender.messages()}
    assert texts == {
        "+8613800138000": NOTICE.format("订单一", "SF 1"),
        "+8613800138001": CODE.format("8888"),
    }


def test_tpl_send_errors(sender: Sender, sms: Any) -> None:
    def send(tpl_id: Any, value: str, mobile: str = "13800138000") -> Any:
        return sms.tpl_single_send({YC.MOBILE: mobile, YC.TPL_ID: tpl_id, YC.TPL_VALUE: value})

    assert_refused(send(sender.code_id, "#other#=1"), 2)  # a variable without its value
    assert_refused(send(sender.code_id, "#code#="), 2)
    assert_refused(send(sender.code_id, "=1"), 2)
    assert_refused(send("12a", "#code#=1"), 2)
    assert_refused(send(sender.notice_id + 10_000, "#code#=1"), 5)
    assert_refused(send(sender.pending_id, "#points#=1"), 7)
    assert_refused(send(sender.code_id, "#code#=1", mobile="1380013800"), 2)
    batch = sms.tpl_batch_send(
        {YC.MOBILE: "13800138000,13900000009", YC.TPL_ID: sender.code_id, YC.TPL_VALUE: "#code#=5"}
    )
    assert batch.code() == 0
    assert [i["code"] for i in batch.data()["data"]] == [0, 10]
    assert len(sender.messages()) == 1


def test_pull_status_hands_out_each_report_once(sender: Sender, sms: Any) -> None:
    for mobile in ("13800138000", "13900000001", "13800138002"):
        r = sms.single_send({YC.MOBILE: mobile, YC.TEXT: CODE.format("7"), YC.UID: f"u{mobile}"})
        assert r.code() == 0
    reported(sender, 3)
    first = sms.pull_status({YC.PAGE_SIZE: 2})
    assert first.code() == 0 and len(first.data()) == 2
    rest = sms.pull_status()
    assert rest.code() == 0 and len(rest.data()) == 1
    reports = {item["mobile"]: item for item in [*first.data(), *rest.data()]}
    assert set(reports) == {"13800138000", "13900000001", "13800138002"}
    failed = reports["13900000001"]
    assert (failed["report_status"], failed["error_msg"]) == ("FAIL", "UNDELIV")
    delivered = reports["13800138000"]
    assert (delivered["report_status"], delivered["error_msg"]) == ("SUCCESS", "")
    assert delivered["uid"] == "u13800138000"
    sids = {str(item["sid"]) for item in reports.values()}
    assert sids == {m.provider_message_id for m in sender.messages()}
    assert len(delivered["user_receive_time"]) == len("2014-03-17 22:55:21")
    assert sms.pull_status().data() == []
    assert_refused(sms.pull_status({YC.PAGE_SIZE: "101"}), 2)


def test_pull_reply_signs_each_reply(server: Server, sender: Sender, sms: Any) -> None:
    assert sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: CODE.format("7")}).code() == 0

    async def answer(rt: Any) -> None:
        await rt.sending.reply("+8613800138000", "收到了，谢谢！")

    server.run(answer)
    r = sms.pull_reply({YC.PAGE_SIZE: 20})
    assert r.code() == 0, r.detail()
    (item,) = r.data()
    assert (item["mobile"], item["text"]) == ("13800138000", "收到了，谢谢！")
    assert item["_sign"] == reply_sign(item, sender.apikey)
    assert sms.pull_reply().data() == []


def test_the_reply_sign_follows_the_documented_vector() -> None:
    item = {
        "base_extend": "8888",
        "extend": "01",
        "id": "2a70c6bb4f2845da816ea1bfe5732747",
        "mobile": "15205201314",
        "reply_time": "2014-03-17 22:55:21",
        "text": "收到了，谢谢！",
    }
    assert reply_sign(item, "0000") == "393d079e0a00912335adfe46f4a2e10f"
