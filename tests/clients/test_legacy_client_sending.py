"""smssign.client's sending and pulling calls against a running server, and their sig."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.client import LegacySmsClient, LegacySmsError, Sent
from tests.clients.qcloudsms import Sdk, approved_signature, template
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("client-send"), "--testing", "--no-rate-limit")
    yield s
    stop_server(s)


@pytest.fixture
def ready(server: Server) -> Iterator[tuple[LegacySmsClient, int, int, int]]:
    account = server.create_account()
    approved_signature(server, Sdk(server, account), "腾讯云")
    code = template(server, int(account["id"]), "验证码{1}")
    world = template(server, int(account["id"]), "Code {1}", international=True)
    legacy = account["legacy"]
    with LegacySmsClient(legacy["sdkappid"], legacy["appkey"], base_url=server.url) as sms:
        yield sms, int(account["id"]), code, world


def test_sends_and_their_results(ready: tuple[LegacySmsClient, int, int, int]) -> None:
    sms, _, code, world = ready
    sent = sms.send("13800138000", code, ["1234"], sign="腾讯云", ext="e")
    assert (sent.result, sent.fee, sent.ext, sent.mobile) == (0, 1, "e", "13800138000")
    assert sent.sid.startswith("8:")
    assert sms.send_text("13800138001", "【腾讯云】验证码99").result == 0
    abroad = sms.send_international("+15005550100", world, ["7"])
    assert (abroad.result, abroad.nationcode) == (0, "1")
    many = sms.send_many(["13800138002", "123"], code, ["5"])
    assert [(m.mobile, m.result) for m in many] == [("13800138002", 0), ("123", 1016)]
    with pytest.raises(LegacySmsError) as refused:
        sms.send("13800138003", code, [])
    assert refused.value.result == 1014 and refused.value.reply["ext"] == ""


def test_pulls(server: Server, ready: tuple[LegacySmsClient, int, int, int]) -> None:
    sms, account_id, code, _ = ready
    sent = sms.send("13800138010", code, ["1"])
    deadline = time.monotonic() + 10
    reports = sms.pull_reports()
    while not reports and time.monotonic() < deadline:
        time.sleep(0.05)
        reports = sms.pull_reports()
    assert [(r.sid, r.report_status, r.errmsg) for r in reports] == [
        (sent.sid, "SUCCESS", "DELIVRD")
    ]
    assert sms.pull_reports() == []
    now = int(time.time())
    assert [r.sid for r in sms.pull_reports_for("13800138010", now - 60, now + 60)] == [sent.sid]
    httpx.post(
        f"{server.url}/_smssign/replies",
        json={"account_id": account_id, "mobile": "+8613800138010", "text": "好"},
    ).raise_for_status()
    [answer] = sms.pull_replies()
    assert (answer.mobile, answer.text, answer.sign) == ("13800138010", "好", "腾讯云")
    assert [r.text for r in sms.pull_replies_for("13800138010", now - 60, now + 60)] == ["好"]


def test_the_sig_covers_the_numbers() -> None:
    seen: list[dict[str, Any]] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        detail = [{"result": 0, "errmsg": "OK", "fee": 1, "mobile": "m", "nationcode": "86",
                   "sid": "s"}]  # fmt: skip
        return httpx.Response(200, json={"result": 0, "errmsg": "OK", "ext": "", "detail": detail})

    client = LegacySmsClient(
        1400000001,
        "5f03a35d00ee52a21327ab048186a2c4",
        base_url="http://legacy.test",
        clock=lambda: 1457336869,
        random=lambda: "7226249334",
        transport=httpx.MockTransport(capture),
    )
    assert client.send_many(["13788888888", "13788888889"], 19, ["1"]) == [
        Sent(0, "OK", "m", "86", 1, "s", "")
    ]
    assert seen[0]["sig"] == "be66bb4aeb54701ed0637d0996a0b75111d5b8eda9b3a71bdc579a3d26f3edfb"
