"""Alibaba's SmsReport and SmsUp pushes: `smssign callbacks set ACCOUNT aliyun` and a
receiver that reads the bodies as Alibaba documents them (a JSON array of snake_case
receipts; of replies), answering `{"code":0,"msg":"接收成功"}` or something to retry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from alibabacloud_dysmsapi20170525 import models as m

from tests.backoffice import Received, Receiver, smssign, wait_until
from tests.conftest import Server, start_server, stop_server
from tests.dialects.aliyun.clients import tea
from tests.dialects.aliyun.sending import ready

ALIYUN_OK = json.dumps({"code": 0, "msg": "接收成功"}).encode()
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
REPORT_KEYS = {
    "phone_number", "send_time", "report_time", "success", "err_code", "err_msg",
    "sms_size", "biz_id", "out_id",
}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Retries a fifth of a second apart, so that a refused push comes back at once."""
    s = start_server(
        tmp_path_factory.mktemp("aliyun-reports"),
        "--testing", "--no-rate-limit", "--webhook-retry-delays", "0.2,0.2,0.2",
    )  # fmt: skip
    yield s
    stop_server(s)


def pushes(receiver: Receiver, count: int) -> list[Received]:
    found: list[Received] = wait_until(
        lambda: len(receiver.received) >= count and list(receiver.received), 15
    )
    return found


def batch(push: Received) -> list[dict[str, Any]]:
    """A push as Alibaba's receivers parse it: a JSON array of objects."""
    assert push.headers["content-type"] == "application/json"
    items = json.loads(push.body.decode("utf-8"))
    assert isinstance(items, list) and all(isinstance(i, dict) for i in items)
    return items


def sender(server: Server, *urls: str) -> tuple[Any, dict[str, str], dict[str, Any]]:
    account = server.create_account()
    c = tea(server, account)
    codes = ready(server, c, account)
    args = ["callbacks", "set", str(account["id"]), "aliyun", "--status-url", urls[0]]
    if len(urls) > 1:
        args += ["--reply-url", urls[1]]
    shown = json.loads(smssign(server, *args, "--json").stdout)
    assert (shown["provider"], shown["status_url"]) == ("aliyun", urls[0])
    return c, codes, account


def send(c: Any, code: str, numbers: str, out_id: str = "order-9") -> str:
    request = m.SendSmsRequest(
        phone_numbers=numbers,
        sign_name="阿里云",
        template_code=code,
        template_param=json.dumps({"code": "1234"}),
        out_id=out_id,
    )
    body = c.send_sms(request).body
    assert body.code == "OK", body
    biz_id: str = body.biz_id
    return biz_id


def test_reports_arrive_as_alibaba_documents_them(server: Server) -> None:
    status = Receiver(body=ALIYUN_OK).start()
    try:
        c, codes, _ = sender(server, status.url)
        biz_id = send(c, codes["verification"], "13800138000,13900000001")
        # Both receipts, in one push or in two (delivery decides them a moment apart).
        receipts = wait_until(
            lambda: (
                (found := [r for p in list(status.received) for r in batch(p)])
                and len(found) >= 2
                and found
            ),
            15,
        )
        by_number = {r["phone_number"]: r for r in receipts}
        assert set(by_number) == {"13800138000", "13900000001"}
        delivered, failed = by_number["13800138000"], by_number["13900000001"]
        assert set(delivered) == REPORT_KEYS
        assert (delivered["success"], delivered["err_code"], delivered["err_msg"]) == (
            True, "DELIVERED", "用户接收成功",
        )  # fmt: skip
        assert (failed["success"], failed["err_code"]) == (False, "UNDELIV")
        assert (delivered["biz_id"], delivered["out_id"], delivered["sms_size"]) == (
            biz_id, "order-9", "1",
        )  # fmt: skip
        assert TIME.fullmatch(delivered["send_time"]) and TIME.fullmatch(delivered["report_time"])
    finally:
        status.stop()


def test_a_push_answered_otherwise_is_retried_and_replies_are_sms_up(server: Server) -> None:
    status = Receiver(bodies=[b"busy"], body=ALIYUN_OK).start()
    replies = Receiver(body=ALIYUN_OK).start()
    try:
        c, codes, account = sender(server, status.url, replies.url)
        send(c, codes["verification"], "13800138000")
        first, second = pushes(status, 2)
        assert first.body == second.body
        answer = httpx.post(
            f"{server.url}/_smssign/replies", json={"mobile": "13800138000", "text": "TD"}
        )
        assert answer.status_code == 201, answer.text
        (push,) = pushes(replies, 1)
        (up,) = batch(push)
        assert set(up) == {
            "phone_number", "content", "send_time", "dest_code", "sequence_id", "sign_name",
        }  # fmt: skip
        assert (up["phone_number"], up["content"], up["sign_name"]) == (
            "13800138000",
            "TD",
            "阿里云",
        )
        assert isinstance(up["sequence_id"], int) and TIME.fullmatch(up["send_time"])
        shown = json.loads(
            smssign(server, "callbacks", "show", str(account["id"]), "--json").stdout
        )
        assert shown["callbacks"][0]["reply_url"] == replies.url
    finally:
        status.stop()
        replies.stop()
