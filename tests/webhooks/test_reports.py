"""Status reports and replies pushed to an account's own URLs, in each provider's format.

Messages are sent through the official clients (tencentcloud-sdk-python, qcloudsms_py,
yunpian-python-sdk) to a real server; a receiver started here gets the pushes and reads
them exactly as the specs describe them (Tencent: a JSON array of report objects, a reply
object; Yunpian: the `sms_status` / `sms_reply` form fields), answering with each
provider's success reply or with a failure that must be retried.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from yunpian_python_sdk.model import constant as YC

from smssign.app.runtime import Runtime
from tests.backoffice import (
    Received,
    Receiver,
    create_operator,
    login,
    operator_token,
    running_receiver,
    smssign,
    wait_until,
)
from tests.clients.qcloudsms import Sdk, approved_signature, template
from tests.clients.test_tencent_sdk_sending import Sender, prepare
from tests.conftest import Server, start_server, stop_server
from tests.dialects.yunpian.sending import SIGN, ready

TENCENT_OK = b'{"result":0,"errmsg":"OK"}'
RECEIVE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
TENCENT_REPORT_KEYS = {
    "user_receive_time", "nationcode", "mobile", "report_status", "errmsg", "description", "sid",
}  # fmt: skip
YUNPIAN_REPORT_KEYS = {
    "sid", "uid", "user_receive_time", "error_msg", "mobile", "report_status", "error_detail",
}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Retries a fifth of a second apart, so that a refused push comes back at once."""
    s = start_server(
        tmp_path_factory.mktemp("reports"),
        "--testing", "--no-rate-limit", "--webhook-retry-delays", "0.2,0.2,0.2",
    )  # fmt: skip
    yield s
    stop_server(s)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver(body=TENCENT_OK)


def callbacks(server: Server, account_id: int, provider: str, *urls: str) -> dict[str, Any]:
    args = ["callbacks", "set", str(account_id), provider, "--status-url", urls[0]]
    if len(urls) > 1:
        args += ["--reply-url", urls[1]]
    shown: dict[str, Any] = json.loads(smssign(server, *args, "--json").stdout)
    return shown


def tencent_reports(received: list[Received]) -> list[dict[str, Any]]:
    """Every report of Tencent's pushes: each body a JSON array of objects of strings."""
    found = []
    for push in received:
        assert push.headers["content-type"] == "application/json"
        batch = json.loads(push.body)
        assert isinstance(batch, list)
        for report in batch:
            assert set(report) == TENCENT_REPORT_KEYS
            assert all(isinstance(value, str) for value in report.values()), report
            found.append(report)
    return found


def yunpian_field(push: Received, name: str) -> Any:
    """The JSON in the form field `name`, decoded once as any form parser does."""
    assert push.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(push.body.decode("ascii"), strict_parsing=True)
    assert list(fields) == [name]
    (value,) = fields[name]
    return json.loads(value)


def pushes(receiver: Receiver, count: int, timeout: float = 15) -> list[Received]:
    found: list[Received] = wait_until(
        lambda: len(receiver.received) >= count and list(receiver.received), timeout
    )
    return found


def deliveries_of(server: Server, message_id: int) -> list[tuple[Any, list[Any]]]:
    async def read(rt: Runtime) -> list[tuple[Any, list[Any]]]:
        from smssign.backoffice.services import open_backoffice

        async with open_backoffice(rt) as backoffice:
            return await backoffice.callbacks.report_deliveries(message_id)

    return server.run(read)


def inbox(server: Server, account_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(
        f"{server.url}/_smssign/messages", params={"account_id": str(account_id)}
    ).json()["messages"]
    return found


# --- Tencent ---------------------------------------------------------------------------


def tencent(server: Server, version: str) -> tuple[Sender, int]:
    """tencentcloud-sdk-python for a fresh account with 腾讯云 and a code template approved."""
    account = server.create_account()
    return Sender(server, account, "tc3-post", version), prepare(server, account)


def test_tencent_sdk_sends_and_the_report_arrives_as_a_json_array(
    server: Server, receiver: Receiver
) -> None:
    sender, template_id = tencent(server, "2021-01-11")
    shown = callbacks(server, sender.account_id, "tencent", receiver.url)
    assert shown == {
        "account_id": sender.account_id, "provider": "tencent",
        "status_url": receiver.url, "reply_url": None,
    }  # fmt: skip
    sent = sender.send(template_id, "+8613800138000", "+8613900000001")
    assert [s.Code for s in sent] == ["Ok", "Ok"]
    reports = tencent_reports(pushes(receiver, 1))
    by_sid = {r["sid"]: r for r in reports}
    delivered, failed = (by_sid[s.SerialNo] for s in sent)
    assert (delivered["nationcode"], delivered["mobile"]) == ("86", "13800138000")
    assert (delivered["report_status"], delivered["errmsg"]) == ("SUCCESS", "DELIVRD")
    assert (failed["mobile"], failed["report_status"], failed["errmsg"]) == (
        "13900000001", "FAIL", "UNDELIV",
    )  # fmt: skip
    assert RECEIVE_TIME.fullmatch(delivered["user_receive_time"])
    # The console's view: the delivery that carried the report, delivered at the first try.
    message = next(m for m in inbox(server, sender.account_id) if m["mobile"] == "+8613800138000")
    ((delivery, attempts),) = deliveries_of(server, int(message["id"]))
    assert (delivery.status.value, delivery.channel, delivery.url) == (
        "delivered", "tencent", receiver.url,
    )  # fmt: skip
    assert [(a.status_code, a.delivered) for a in attempts] == [(200, True)]


def test_setting_a_status_by_hand_pushes_its_report(server: Server, receiver: Receiver) -> None:
    sender, template_id = tencent(server, "2019-07-11")
    callbacks(server, sender.account_id, "tencent", receiver.url)
    (sent,) = sender.send(template_id, "+8613900000004")  # never reported by itself
    (message,) = inbox(server, sender.account_id)
    answer = httpx.post(
        f"{server.url}/_smssign/messages/{message['id']}/status",
        json={"status": "failed", "error_code": "MK:0001"},
    )
    assert answer.status_code == 200, answer.text
    (report,) = tencent_reports(pushes(receiver, 1))
    assert (report["sid"], report["report_status"], report["errmsg"]) == (
        sent.SerialNo, "FAIL", "MK:0001",
    )  # fmt: skip


def test_legacy_sdk_sends_share_the_tencent_url(server: Server, receiver: Receiver) -> None:
    account = server.create_account()
    sdk = Sdk(server, account)
    approved_signature(server, sdk, "腾讯云")
    code = template(server, sdk.account_id, "您的验证码是{1}，{2}分钟内有效。")
    callbacks(server, sdk.account_id, "tencent", receiver.url)
    reply = sdk.single.send_with_param(
        86, "13800138000", code, ["1234", "5"], sign="腾讯云", url=sdk.url("sendsms")
    )
    assert reply["result"] == 0, reply
    (report,) = tencent_reports(pushes(receiver, 1))
    assert (report["sid"], report["mobile"], report["report_status"]) == (
        reply["sid"], "13800138000", "SUCCESS",
    )  # fmt: skip


def test_a_refused_tencent_push_is_retried_with_the_same_body(
    server: Server, receiver: Receiver
) -> None:
    receiver.bodies = [b'{"result":1,"errmsg":"busy"}', b"<html>oops</html>"]
    sender, template_id = tencent(server, "2021-01-11")
    callbacks(server, sender.account_id, "tencent", receiver.url)
    sender.send(template_id, "+8613800138000")
    first, second, third = pushes(receiver, 3)
    assert first.body == second.body == third.body
    (message,) = inbox(server, sender.account_id)
    ((_, attempts),) = wait_until(
        lambda: (
            (found := deliveries_of(server, int(message["id"])))
            and found[0][0].status.value == "delivered"
            and found
        )
    )
    assert [(a.status_code, a.delivered) for a in attempts] == [
        (200, False), (200, False), (200, True),
    ]  # fmt: skip
    assert "not the receiver's success answer" in attempts[0].error
    assert attempts[0].response == '{"result":1,"errmsg":"busy"}'


def test_more_than_100_reports_are_split_into_batches(server: Server, receiver: Receiver) -> None:
    sender, template_id = tencent(server, "2021-01-11")
    callbacks(server, sender.account_id, "tencent", receiver.url)
    numbers = [f"+86138{n:08d}" for n in range(150)]
    sent = sender.send(template_id, *numbers)
    assert {s.Code for s in sent} == {"Ok"}
    wait_until(lambda: len(tencent_reports(list(receiver.received))) >= 150, 20)
    sizes = [len(json.loads(r.body)) for r in receiver.received]
    assert len(sizes) >= 2 and max(sizes) <= 100 and sum(sizes) == 150
    assert {r["sid"] for r in tencent_reports(receiver.received)} == {s.SerialNo for s in sent}


def test_a_tencent_reply_is_pushed_as_one_object(server: Server, receiver: Receiver) -> None:
    replies = Receiver(body=TENCENT_OK).start()
    try:
        sender, template_id = tencent(server, "2021-01-11")
        callbacks(server, sender.account_id, "tencent", receiver.url, replies.url)
        sender.send(template_id, "+8613800138000")
        answer = httpx.post(
            f"{server.url}/_smssign/replies",
            json={"mobile": "+8613800138000", "text": "退订"},
        )
        assert answer.status_code == 201, answer.text
        (push,) = pushes(replies, 1)
        assert push.headers["content-type"] == "application/json"
        body = json.loads(push.body)
        assert body.keys() == {"extend", "mobile", "nationcode", "sign", "text", "time"}
        assert (body["mobile"], body["nationcode"], body["sign"], body["text"]) == (
            "13800138000", "86", "腾讯云", "退订",
        )  # fmt: skip
        assert isinstance(body["time"], int) and isinstance(body["extend"], str)
    finally:
        replies.stop()


# --- Yunpian ---------------------------------------------------------------------------


def test_yunpian_reports_go_to_the_account_url_or_the_requests_callback_url(
    server: Server,
) -> None:
    with_account = Receiver(body=b"SUCCESS").start()
    with_request = Receiver(body=b"0").start()
    try:
        sender = ready(server)
        callbacks(server, sender.account_id, "yunpian", with_account.url)
        sms = sender.client().sms()
        text = f"【{SIGN}】您的验证码是1234，5分钟内有效。"
        plain = sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: text, YC.UID: "order-1"})
        own = sms.single_send(
            {YC.MOBILE: "13900000001", YC.TEXT: text, YC.CALLBACK_URL: with_request.url}
        )
        assert plain.code() == 0 and own.code() == 0, (plain.detail(), own.detail())
        (push,) = pushes(with_account, 1)
        (report,) = yunpian_field(push, "sms_status")
        assert set(report) == YUNPIAN_REPORT_KEYS
        assert report["sid"] == plain.data()["sid"] and isinstance(report["sid"], int)
        assert (report["mobile"], report["uid"], report["report_status"]) == (
            "13800138000", "order-1", "SUCCESS",
        )  # fmt: skip
        assert report["error_msg"] == "" and RECEIVE_TIME.fullmatch(report["user_receive_time"])
        (push,) = pushes(with_request, 1)
        (report,) = yunpian_field(push, "sms_status")
        assert report["sid"] == own.data()["sid"]
        assert (report["mobile"], report["report_status"], report["error_msg"]) == (
            "13900000001", "FAIL", "UNDELIV",
        )  # fmt: skip
        assert len(with_account.received) == 1  # the request's URL took its report
    finally:
        with_account.stop()
        with_request.stop()


def test_a_yunpian_push_answered_otherwise_is_retried_and_replies_are_pushed(
    server: Server,
) -> None:
    status = Receiver(bodies=[b"FAIL"], body=b"SUCCESS").start()
    replies = Receiver(body=b"SUCCESS").start()
    try:
        sender = ready(server)
        callbacks(server, sender.account_id, "yunpian", status.url, replies.url)
        sms = sender.client().sms()
        sent = sms.single_send(
            {YC.MOBILE: "13800138000", YC.TEXT: f"【{SIGN}】您的验证码是1，5分钟内有效。"}
        )
        assert sent.code() == 0, sent.detail()
        first, second = pushes(status, 2)
        assert first.body == second.body
        answer = httpx.post(
            f"{server.url}/_smssign/replies", json={"mobile": "13800138000", "text": "收到"}
        )
        assert answer.status_code == 201, answer.text
        (push,) = pushes(replies, 1)
        reply = yunpian_field(push, "sms_reply")
        assert set(reply) == {
            "id",
            "mobile",
            "text",
            "reply_time",
            "extend",
            "base_extend",
            "_sign",
        }
        assert (reply["mobile"], reply["text"]) == ("13800138000", "收到")
        assert RECEIVE_TIME.fullmatch(reply["reply_time"])
    finally:
        status.stop()
        replies.stop()


def signed_by(item: dict[str, Any], apikey: str) -> bool:
    """Whether a pushed reply's `_sign` verifies with `apikey`, checked as a receiver
    would (spec §4.3): MD5 of the other values sorted by key, joined with commas, then a
    comma and the apikey."""
    values = [str(item[key]) for key in sorted(item) if key != "_sign"]
    joined = ",".join([*values, apikey]).encode()
    return bool(hashlib.md5(joined, usedforsecurity=False).hexdigest() == item["_sign"])


def replied(server: Server, replies: Receiver, account_id: int, text: str) -> dict[str, Any]:
    """Simulate a reply to a number the account never sent to; the `sms_reply` it pushes."""
    before = len(replies.received)
    answer = httpx.post(
        f"{server.url}/_smssign/replies",
        json={"account_id": account_id, "mobile": "+8613800138000", "text": text},
    )
    assert answer.status_code == 201, answer.text
    push = pushes(replies, before + 1)[before]
    item: dict[str, Any] = yunpian_field(push, "sms_reply")
    assert item["text"] == text
    return item


def test_a_pushed_yunpian_reply_is_signed_with_the_accounts_current_apikey(
    server: Server,
) -> None:
    replies = Receiver(body=b"SUCCESS").start()
    try:
        created = smssign(server, "accounts", "create", f"signer-{os.getpid()}", "--json")
        account = json.loads(created.stdout)
        apikey = account["yunpian"]["apikey"]
        callbacks(server, account["id"], "yunpian", replies.url, replies.url)
        first = replied(server, replies, account["id"], "收到了，谢谢！")
        assert signed_by(first, apikey) and not signed_by(first, "")

        rotated = smssign(
            server, "accounts", "rotate", str(account["id"]), "--dialect", "yunpian", "--json"
        )
        new_apikey = json.loads(rotated.stdout)["yunpian"]["apikey"]
        second = replied(server, replies, account["id"], "好的")
        assert signed_by(second, new_apikey) and not signed_by(second, apikey)
    finally:
        replies.stop()


def test_an_apikey_issued_before_sealed_copies_signs_empty_until_rotated(
    server: Server,
) -> None:
    replies = Receiver(body=b"SUCCESS").start()
    try:
        account = server.create_account()
        callbacks(server, account["id"], "yunpian", replies.url, replies.url)
        forget_sealed_apikey(server, account["id"])  # as a database from before 0009 holds it
        old = replied(server, replies, account["id"], "收到")
        assert signed_by(old, "") and not signed_by(old, account["yunpian"]["apikey"])
        rotated = smssign(
            server, "accounts", "rotate", str(account["id"]), "--dialect", "yunpian", "--json"
        )
        fresh = replied(server, replies, account["id"], "收到")
        assert signed_by(fresh, json.loads(rotated.stdout)["yunpian"]["apikey"])
    finally:
        replies.stop()


def forget_sealed_apikey(server: Server, account_id: int) -> None:
    async def forget(rt: Runtime) -> None:
        from sqlalchemy import update

        from smssign.store import tables as t

        c = t.credentials.c
        async with rt.repository.database.write() as conn:
            await conn.execute(
                update(t.credentials)
                .where(c.account_id == account_id, c.dialect == "yunpian")
                .values(sealed_key="")
            )

    server.run(forget)


def test_a_form_encoded_report_in_the_admin_api_and_the_console(server: Server) -> None:
    status = Receiver(body=b"SUCCESS").start()
    try:
        sender = ready(server)
        callbacks(server, sender.account_id, "yunpian", status.url)
        sent = (
            sender.client()
            .sms()
            .single_send(
                {YC.MOBILE: "13800138000", YC.TEXT: f"【{SIGN}】您的验证码是7，5分钟内有效。"}
            )
        )
        assert sent.code() == 0, sent.detail()
        (push,) = pushes(status, 1)
        (message,) = inbox(server, sender.account_id)
        ((delivery, _),) = deliveries_of(server, int(message["id"]))
    finally:
        status.stop()
    create_operator(server, "reporter")
    headers = {"Authorization": f"Bearer {operator_token(server, 'reporter')}"}
    shown = httpx.get(f"{server.url}/admin/api/deliveries/{delivery.id}", headers=headers)
    assert shown.status_code == 200, shown.text
    data = shown.json()
    assert (data["channel"], data["url"], data["type"]) == ("yunpian", status.url, "report.status")
    assert data["body"] == push.body.decode() and data["body"].startswith("sms_status=")
    console = login(server, "reporter")
    try:
        page = console.get(f"/console/deliveries/{delivery.id}")
    finally:
        console.close()
    assert page.status_code == 200 and status.url in page.text


# --- the command line ------------------------------------------------------------------


def test_callbacks_show_and_refusals(server: Server, receiver: Receiver) -> None:
    account = server.create_account()
    callbacks(server, account["id"], "yunpian", receiver.url)
    shown = json.loads(smssign(server, "callbacks", "show", str(account["id"]), "--json").stdout)
    assert shown == {
        "callbacks": [
            {"account_id": account["id"], "provider": "yunpian",
             "status_url": receiver.url, "reply_url": None},
        ]
    }  # fmt: skip
    unknown = smssign(
        server, "callbacks", "set", str(account["id"]), "twilio", "--status-url", receiver.url,
        check=False,
    )  # fmt: skip
    assert unknown.returncode == 1 and "tencent, yunpian" in unknown.stderr
    bad = smssign(
        server, "callbacks", "set", str(account["id"]), "tencent", "--status-url", "ftp://x",
        check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and "url" in bad.stderr
    removed = smssign(server, "callbacks", "remove", str(account["id"]), "yunpian")
    assert "removed" in removed.stdout
    shown = json.loads(smssign(server, "callbacks", "show", str(account["id"]), "--json").stdout)
    assert shown == {"callbacks": []}
