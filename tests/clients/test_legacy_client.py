"""smssign.client against a running server, and its own handling of odd replies."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.client import (
    APPROVED,
    PENDING,
    REJECTED,
    LegacySignClient,
    LegacySmsError,
    SignStatus,
)
from tests.conftest import Server
from tests.samples import JPEG_B64, png


def connect(server: Server, account: dict[str, Any], **options: Any) -> LegacySignClient:
    legacy = account["legacy"]
    return LegacySignClient(legacy["sdkappid"], legacy["appkey"], base_url=server.url, **options)


@pytest.fixture
def sms(server: Server, account: dict[str, Any]) -> Iterator[LegacySignClient]:
    with connect(server, account) as client:
        yield client


def test_the_four_calls(server: Server, sms: LegacySignClient) -> None:
    added = sms.add_sign("腾讯科技", remark="官网", pic=png())
    assert added == SignStatus(id=added.id, text="腾讯科技", status=PENDING, international=False)
    assert sms.mod_sign(added.id, "腾讯云", pic=JPEG_B64).text == "腾讯云"
    [record] = sms.get_sign(added.id)
    assert (record.text, record.status, record.reply, record.reply_time) == (
        "腾讯云",
        PENDING,
        "",
        "",
    )
    server.approve(added.id)
    assert sms.get_sign([added.id])[0].status == APPROVED
    with pytest.raises(LegacySmsError) as refused:
        sms.mod_sign(added.id, "改不了")
    assert refused.value.result == 1007
    sms.del_sign(added.id)
    assert sms.get_sign(added.id) == []


def test_rejection_reason_and_resubmission(server: Server, sms: LegacySignClient) -> None:
    added = sms.add_sign("拒绝测试")
    server.reject(added.id, "证明文件不清晰")
    [record] = sms.get_sign(added.id)
    assert (record.status, record.reply) == (REJECTED, "证明文件不清晰")
    assert sms.mod_sign(added.id, "拒绝测试二", remark="补充材料").status == PENDING


def test_paging(sms: LegacySignClient) -> None:
    ids = [sms.add_sign(name).id for name in ("分页甲", "分页乙", "分页丙")]
    first = sms.get_sign_page(limit=2)
    assert first.total == 3 and [r.id for r in first.records] == ids[:2]
    assert [r.id for r in sms.get_sign_page(limit=2, offset=2).records] == ids[2:]


def test_international_and_the_v3_prefix(server: Server, account: dict[str, Any]) -> None:
    with connect(server, account, prefix="/v3/tlssmssvr") as old:
        added = old.add_sign("GlobalSign", international=True)
        assert added.international is True
        assert old.get_sign(added.id)[0].international is True


def test_server_errors_raise_with_result_and_errmsg(
    server: Server, account: dict[str, Any]
) -> None:
    late = connect(server, account, clock=lambda: time.time() - 3600)
    with late, pytest.raises(LegacySmsError) as skewed:
        late.get_sign([])
    assert skewed.value.result == 1021
    wrong = dict(account, legacy={**account["legacy"], "appkey": "0" * 32})
    with connect(server, wrong) as forged, pytest.raises(LegacySmsError) as bad_sig:
        forged.get_sign([])
    assert bad_sig.value.result == 1001 and bad_sig.value.errmsg == "sig校验失败"
    with connect(server, account) as sms, pytest.raises(LegacySmsError) as bad_text:
        sms.add_sign("【括号】")
    assert bad_text.value.result == 1012
    assert bad_text.value.reply["msg"] == bad_text.value.errmsg


def test_random_and_time_are_what_is_signed() -> None:
    seen: list[httpx.Request] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": 0, "errmsg": "OK", "count": 0, "data": []})

    client = LegacySignClient(
        1400000001,
        "5f03a35d00ee52a21327ab048186a2c4",
        base_url="http://legacy.test",
        clock=lambda: 1457336869.9,
        random=lambda: "7226249334",
        transport=httpx.MockTransport(capture),
    )
    assert client.get_sign([1, 2]) == []
    [request] = seen
    assert request.url.path == "/v5/tlssmssvr/get_sign"
    assert dict(request.url.params) == {"sdkappid": "1400000001", "random": "7226249334"}
    body = json.loads(request.content)
    assert body == {
        "sig": "c13e54f047ed75e821e698730c72d030dc30e5b510b3f8a0fb6fb7605283d7df",
        "time": 1457336869,
        "sign_id": [1, 2],
    }


@pytest.mark.parametrize(
    ("response", "result"),
    [
        (httpx.Response(502, text="<html>bad gateway</html>"), 502),
        (httpx.Response(200, text="not json"), -1),
        (httpx.Response(200, json=[1, 2]), -1),
        (httpx.Response(200, json={"result": "x", "errmsg": "odd"}), -1),
        (httpx.Response(200, json={"result": 1004, "msg": "only msg"}), 1004),
    ],
)
def test_unusable_replies_raise(response: httpx.Response, result: int) -> None:
    client = LegacySignClient(
        1, "k", base_url="http://legacy.test", transport=httpx.MockTransport(lambda _: response)
    )
    with pytest.raises(LegacySmsError) as caught:
        client.del_sign(1)
    assert caught.value.result == result


def test_pic_bytes_are_sent_as_base64() -> None:
    seen: list[bytes] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        data = {"id": 1, "text": "图片", "status": 1, "international": 0}
        return httpx.Response(200, json={"result": 0, "errmsg": "OK", "data": data})

    client = LegacySignClient(
        1, "k", base_url="http://legacy.test", transport=httpx.MockTransport(capture)
    )
    client.add_sign("图片", pic=b"\x89PNG-bytes")
    assert json.loads(seen[0])["pic"] == base64.b64encode(b"\x89PNG-bytes").decode()
