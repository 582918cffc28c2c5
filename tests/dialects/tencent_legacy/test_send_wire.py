"""The legacy sending and pulling actions over raw HTTP: the sig over the numbers, sendisms,
request shapes the official SDKs cannot build, and the refusals that change nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.app.runtime import Runtime
from smssign.core.sending import SendRequest
from smssign.dialects.tencent_legacy import auth
from tests.clients.qcloudsms import Sdk, approved_signature, template
from tests.conftest import Server, start_server, stop_server
from tests.dialects.tencent_legacy.wire import Legacy, Reply

MEDIA_TYPE = "application/json; charset=utf-8"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("send-wire"), "--testing", "--no-rate-limit")
    yield s
    stop_server(s)


class Ready:
    def __init__(self, server: Server) -> None:
        account = server.create_account()
        self.account_id = int(account["id"])
        self.legacy = Legacy(server, account)
        approved_signature(server, Sdk(server, account), "腾讯云")
        self.code = template(server, self.account_id, "验证码{1}")
        self.world = template(server, self.account_id, "Your code is {1}", international=True)


@pytest.fixture
def ready(server: Server) -> Ready:
    return Ready(server)


def assert_envelope(answer: Reply, result: int) -> None:
    assert answer.status == 200 and answer.content_type == MEDIA_TYPE
    assert answer.result == result, answer.body
    assert isinstance(answer.body["errmsg"], str) and answer.body["errmsg"] == answer.body["msg"]


def tel(mobile: Any, nationcode: Any = "86") -> dict[str, Any]:
    return {"nationcode": nationcode, "mobile": mobile}


def stored(server: Server, account_id: int) -> list[dict[str, Any]]:
    reply = httpx.get(f"{server.url}/_smssign/messages", params={"account_id": str(account_id)})
    messages: list[dict[str, Any]] = reply.json()["messages"]
    return messages


# --- the sig over the numbers ---------------------------------------------------------


def test_the_documented_sig_vectors() -> None:
    key, rand, now = "5f03a35d00ee52a21327ab048186a2c4", "7226249334", 1457336869
    assert auth.sig(key, rand, now, "&mobile=13788888888") == (
        "ecab4881ee80ad3d76bb1da68387428ca752eb885e52621a3129dcf4d9bc4fd4"
    )
    assert auth.sig(key, rand, now, "&mobile=13788888888,13788888889") == (
        "be66bb4aeb54701ed0637d0996a0b75111d5b8eda9b3a71bdc579a3d26f3edfb"
    )
    assert auth.sig(key, rand, now) == (
        "c13e54f047ed75e821e698730c72d030dc30e5b510b3f8a0fb6fb7605283d7df"
    )


def test_a_sig_that_leaves_out_or_changes_the_numbers_is_refused(
    server: Server, ready: Ready
) -> None:
    fields = {"tel": tel("13800138000"), "tpl_id": ready.code, "params": ["1"]}
    assert_envelope(ready.legacy.post("sendsms", fields, numbers=""), 1001)
    assert_envelope(ready.legacy.post("sendsms", fields, numbers="&mobile=13800138001"), 1001)
    many = {"tel": [tel("13800138000"), tel("13800138001")], "tpl_id": ready.code, "params": ["1"]}
    reordered = "&mobile=13800138001,13800138000"
    assert_envelope(ready.legacy.post("sendmultisms2", many, numbers=reordered), 1001)
    assert stored(server, ready.account_id) == []


def test_json_numbers_are_signed_and_echoed_as_text(ready: Ready) -> None:
    answer = ready.legacy.post(
        "sendmultisms2", {"tel": [tel(13800138002, 86)], "tpl_id": ready.code, "params": [7]}
    )
    assert_envelope(answer, 0)
    [entry] = answer.body["detail"]
    assert (entry["mobile"], entry["nationcode"], entry["result"]) == ("13800138002", "86", 0)


# --- sendisms --------------------------------------------------------------------------


def test_sendisms_sends_to_an_e164_number_and_answers_its_nationcode(
    server: Server, ready: Ready
) -> None:
    answer = ready.legacy.post(
        "sendisms", {"tel": "+15005550100", "tpl_id": ready.world, "params": ["42"], "ext": "i"}
    )
    assert_envelope(answer, 0)
    assert (answer.body["nationcode"], answer.body["ext"], answer.body["fee"]) == ("1", "i", 1)
    [message] = stored(server, ready.account_id)
    assert (message["mobile"], message["text"]) == ("+15005550100", "Your code is 42")
    assert message["provider_message_id"] == answer.body["sid"]
    mainland = ready.legacy.post(
        "sendisms", {"tel": "+8613800138003", "tpl_id": ready.code, "params": ["1"]}
    )
    assert_envelope(mainland, 0)
    assert mainland.body["nationcode"] == "86"


@pytest.mark.parametrize("number", ["15005550100", "+1", "+86 abc"])
def test_sendisms_without_an_e164_number_is_1016(ready: Ready, number: str) -> None:
    answer = ready.legacy.post("sendisms", {"tel": number, "tpl_id": ready.world, "params": ["1"]})
    assert_envelope(answer, 1016)


# --- what the SDKs cannot send ---------------------------------------------------------


def test_mixed_mainland_and_international_numbers_are_1034(server: Server, ready: Ready) -> None:
    fields = {
        "tel": [tel("13800138004"), tel("5005550100", "1")],
        "tpl_id": ready.code,
        "params": ["1"],
        "ext": "m",
    }
    answer = ready.legacy.post("sendmultisms2", fields)
    assert_envelope(answer, 1034)
    assert "detail" not in answer.body and answer.body["ext"] == "m"
    assert stored(server, ready.account_id) == []


def test_the_node_sdk_request_shape_chunked_with_a_misspelt_type(ready: Ready) -> None:
    legacy = ready.legacy
    fields = {
        "tel": [tel("13800138005"), tel("13800138006")],
        "sign": "腾讯云",
        "tpl_id": ready.code,
        "params": ["1"],
        "extend": "",
        "ext": "",
    }
    rand, now = "72148", int(time.time())
    numbers = "&mobile=13800138005,13800138006"
    body = legacy.body(fields, now=now, rand=rand, numbers=numbers)

    def chunks() -> Iterator[bytes]:
        yield body[:20]
        yield body[20:]

    response = httpx.post(
        f"{legacy.server.url}/v5/tlssmssvr/sendmultisms2?sdkappid={legacy.sdkappid}&random={rand}",
        content=chunks(),
        headers={"Content-Type": "ap0plication/json"},
    )
    assert response.status_code == 200
    assert [d["result"] for d in response.json()["detail"]] == [0, 0]


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("sendsms", {"tpl_id": 1, "params": []}),
        ("sendsms", {"tel": "13800138000", "tpl_id": 1, "params": []}),
        ("sendsms", {"tel": {"mobile": "13800138000"}, "tpl_id": 1, "params": []}),
        ("sendsms", {"tel": {"nationcode": "86", "mobile": "13800138000"}, "params": []}),
        ("sendsms", {"tel": {"nationcode": "86", "mobile": "13800138000"}, "tpl_id": 1}),
        ("sendsms", {"tel": {"nationcode": "86", "mobile": True}, "tpl_id": 1, "params": []}),
        ("sendsms", {"tel": tel("13800138000"), "tpl_id": "x", "params": []}),
        ("sendsms", {"tel": tel("13800138000"), "tpl_id": 1, "params": "1"}),
        ("sendsms", {"tel": tel("13800138000"), "tpl_id": 1, "params": [None]}),
        ("sendsms", {"tel": tel("13800138000"), "tpl_id": 1, "msg": "x", "type": 0}),
        ("sendsms", {"tel": tel("13800138000"), "msg": "【腾讯云】验证码1", "type": 2}),
        ("sendsms", {"tel": tel("13800138000"), "tpl_id": 1, "params": [], "sign": 5}),
        ("sendsms", {"tel": tel("13800138000"), "tpl_id": 1, "params": [], "ext": []}),
        ("sendmultisms2", {"tel": tel("13800138000"), "tpl_id": 1, "params": []}),
        ("sendmultisms2", {"tel": ["13800138000"], "tpl_id": 1, "params": []}),
        ("sendmultisms2", {"tel": [], "tpl_id": 1, "params": []}),
        ("sendisms", {"tpl_id": 1, "params": []}),
        ("pullstatus", {"type": 0}),
        ("pullstatus", {"type": 2, "max": 10}),
        ("pullstatus", {"type": 0, "max": 0}),
        ("pullstatus", {"type": 0, "max": 101}),
        ("pullstatus4mobile", {"type": 0, "max": 10, "nationcode": "86", "mobile": "1"}),
        (
            "pullstatus4mobile",
            {
                "type": 1,
                "max": 10,
                "begin_time": 9,
                "end_time": 1,
                "nationcode": "86",
                "mobile": "13800138000",
            },
        ),
    ],
)
def test_malformed_fields_are_1004_and_change_nothing(
    server: Server, ready: Ready, action: str, fields: dict[str, Any]
) -> None:
    before = server.row_counts()
    assert_envelope(ready.legacy.post(action, fields), 1004)
    assert server.row_counts() == before


def test_pull_by_number_needs_a_valid_number(ready: Ready) -> None:
    now = int(time.time())
    fields = {"type": 0, "max": 10, "begin_time": now - 60, "end_time": now}
    answer = ready.legacy.post("pullstatus4mobile", {**fields, "nationcode": "86", "mobile": "12"})
    assert_envelope(answer, 1016)


def test_the_v3_prefix_sends_too(server: Server, ready: Ready) -> None:
    old = Legacy(server, {"legacy": {"sdkappid": ready.legacy.sdkappid,
                                     "appkey": ready.legacy.appkey}}, prefix="v3")  # fmt: skip
    answer = old.post("sendsms", {"tel": tel("13800138007"), "tpl_id": ready.code, "params": ["5"]})
    assert_envelope(answer, 0)


# --- one report queue for both Tencent dialects -----------------------------------------


def test_messages_sent_through_api_3_0_are_pulled_here_once(server: Server, ready: Ready) -> None:
    async def send_v3(rt: Runtime) -> None:
        account = await rt.repository.account(ready.account_id)
        assert account is not None
        await rt.sending.send(
            account,
            SendRequest(
                dialect="tencent_v3",
                mobiles=["+8613800138008"],
                template_id=ready.code,
                sign="腾讯云",
                params=("1",),
                provider_ids=lambda _: "2433:v3-serial",
            ),
        )

    server.run(send_v3)
    deadline = time.monotonic() + 10
    pulled: list[dict[str, Any]] = []
    while not pulled and time.monotonic() < deadline:
        answer = ready.legacy.post("pullstatus", {"type": 0, "max": 100})
        assert_envelope(answer, 0)
        pulled = answer.body["data"]
        time.sleep(0.05)
    assert [r["sid"] for r in pulled] == ["2433:v3-serial"]
    again = ready.legacy.post("pullstatus", {"type": 0, "max": 100})
    assert again.body["count"] == 0


def test_a_reply_to_no_known_message_is_pulled_too(server: Server, ready: Ready) -> None:
    httpx.post(
        f"{server.url}/_smssign/replies",
        json={"account_id": ready.account_id, "mobile": "+8613800138099", "text": "你好"},
    ).raise_for_status()
    answer = ready.legacy.post("pullstatus", {"type": 1, "max": 10})
    assert_envelope(answer, 0)
    assert [(r["mobile"], r["text"], r["sign"]) for r in answer.body["data"]] == [
        ("13800138099", "你好", "")
    ]
