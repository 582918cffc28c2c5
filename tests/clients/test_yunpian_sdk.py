"""yunpian-python-sdk end to end over HTTP: sign add, update and get, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.core.model import EventType, Status
from tests.conftest import Server
from tests.samples import PNG_B64


def client(server: Server, apikey: str) -> Any:
    return YunpianClient(apikey, conf={YC.YP_SIGN_HOST: server.url})


@pytest.fixture
def sdk(server: Server, account: dict[str, Any]) -> Any:
    return client(server, account["yunpian"]["apikey"])


def stored(server: Server, account: dict[str, Any], name: str) -> Any:
    async def find(rt: Any) -> Any:
        listed = await rt.repository.signatures_with_status(list(Status))
        return next(s for s in listed if s.account_id == account["id"] and s.name == name)

    return server.run(find)


def test_add_with_every_parameter(server: Server, account: dict[str, Any], sdk: Any) -> None:
    r = sdk.sign().add(
        {
            YC.SIGN: "云片科技",
            "website": "https://example.com,企业官网",
            YC.NOTIFY: True,
            YC.APPLYVIP: False,
            YC.ISONLYGLOBAL: False,
            YC.INDUSTRYTYPE: "其他",
            "sign_use": "0",
            "prove_type": "1",
            "license_url": ["https://example.com/a.png", "https://example.com/b.png"],
            "id_card_name": "张三",
            "id_card_number": "11010519491231002X",
        }
    )
    assert r.code() == 0, (r.msg(), r.detail())
    assert r.msg() == "OK"
    assert r.data() == {
        "apply_state": "CHECKING",
        "sign": "云片科技",
        "is_apply_vip": False,
        "is_only_global": False,
        "industry_type": "其它",
    }
    signature = stored(server, account, "云片科技")
    assert signature.extra["license_urls"] == [
        "https://example.com/a.png",
        "https://example.com/b.png",
    ]
    assert signature.extra["website"] == "https://example.com,企业官网"
    assert signature.extra["id_card_number"] == "11010519491231002X"
    events = server.run(lambda rt: rt.repository.events(account["id"]))
    assert EventType.NOTIFICATION_REQUESTED in {e.type for e in events}


def test_add_with_a_base64_licence(server: Server, account: dict[str, Any], sdk: Any) -> None:
    r = sdk.sign().add({YC.SIGN: "图片执照", "license_base64": "data:image/png;base64," + PNG_B64})
    assert r.code() == 0, r.detail()
    assert len(stored(server, account, "图片执照").proof_images) == 1


def test_update_like_the_captured_request_then_refused_once_approved(
    server: Server, account: dict[str, Any], sdk: Any
) -> None:
    assert sdk.sign().add({YC.SIGN: "云片测试", YC.APPLYVIP: True}).code() == 0
    r = sdk.sign().update(
        {
            YC.OLD_SIGN: "【云片测试】",
            YC.SIGN: "云片科技测试",
            "website": "https://example.com,企业官网",
            YC.NOTIFY: "true",
            YC.APPLYVIP: "false",
            YC.INDUSTRYTYPE: "其它",
            "sign_use": "0",
            "license_url": ["https://example.com/a.png", "https://example.com/b.png"],
        }
    )
    assert r.code() == 0, r.detail()
    assert r.data()["sign"] == "云片科技测试" and r.data()["apply_state"] == "CHECKING"
    assert r.data()["is_apply_vip"] is False
    server.approve(stored(server, account, "云片科技测试").id)
    r = sdk.sign().update({YC.OLD_SIGN: "云片科技测试", YC.SIGN: "再改一次"})
    assert r.code() == 2
    assert r.msg() == "请求参数格式错误"
    assert "签名审核成功或报备中" in r.detail()
    assert stored(server, account, "云片科技测试").name == "云片科技测试"


def test_get_paging_and_search(sdk: Any) -> None:
    for name in ("查询一", "查询二", "其他签名"):
        assert sdk.sign().add({YC.SIGN: name}).code() == 0
    r = sdk.sign().get({YC.SIGN: "查询", YC.PAGE_NUM: "1", YC.PAGE_SIZE: "20"})
    assert r.code() == 0
    assert [s["sign"] for s in r.data()] == ["【查询一】", "【查询二】"]
    assert [s["sign"] for s in sdk.sign().get({YC.PAGE_NUM: 2, YC.PAGE_SIZE: 2}).data()] == [
        "【其他签名】"
    ]
    assert len(sdk.sign().get().data()) == 3
    assert [s["sign"] for s in sdk.sign().get({YC.SIGN: "【查询二】"}).data()] == ["【查询二】"]


def test_errors_reach_the_sdk_with_code_msg_and_detail(server: Server, sdk: Any) -> None:
    r = client(server, "0" * 32).sign().get()
    assert (r.code(), r.msg(), r.detail()) == (-1, "非法的apikey", "apikey不正确或没有授权")
    r = sdk.sign().add({YC.SIGN: "【带括号】"})
    assert r.code() == 2 and "sign" in r.detail()
    assert sdk.sign().add({YC.SIGN: "重复的"}).code() == 0
    r = sdk.sign().add({YC.SIGN: "重复的"})
    assert (r.code(), r.msg()) == (-54, "相关记录已存在")
    r = sdk.sign().update({YC.OLD_SIGN: "没有这个", YC.SIGN: "新名字"})
    assert (r.code(), r.msg()) == (-55, "相关记录不存在")
    r = sdk.sign().add({YC.SIGN: "布尔错误", YC.NOTIFY: "maybe"})
    assert r.code() == 2 and "notify" in r.detail()
    r = sdk.sign().add({YC.SIGN: "证件错误", "id_card_number": "12345"})
    assert r.code() == 2 and "id_card_number" in r.detail()
    r = sdk.sign().add(
        {YC.SIGN: "八张执照", "license_url": [f"https://e.com/{i}.png" for i in range(8)]}
    )
    assert r.code() == 2 and "license_url" in r.detail()


def test_python_booleans_arrive_as_true_and_false(sdk: Any) -> None:
    r = sdk.sign().add({YC.SIGN: "真假测试", YC.APPLYVIP: True, YC.ISONLYGLOBAL: False})
    assert r.code() == 0 and r.data()["is_apply_vip"] is True
