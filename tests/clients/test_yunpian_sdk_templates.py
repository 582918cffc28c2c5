"""yunpian-python-sdk `tpl()` end to end over HTTP: the five template calls and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from tests.conftest import Server


def client(server: Server, apikey: str) -> Any:
    return YunpianClient(apikey, conf={YC.YP_TPL_HOST: server.url, YC.YP_SIGN_HOST: server.url})


@pytest.fixture
def tpl(server: Server, account: dict[str, Any]) -> Any:
    sdk = client(server, account["yunpian"]["apikey"])
    assert sdk.sign().add({YC.SIGN: "云片科技"}).code() == 0
    return sdk.tpl()


def failed(reply: Any, code: int) -> str:
    assert reply.code() == code, (reply.code(), reply.msg(), reply.detail())
    return str(reply.detail())


def test_add_get_update_delete(server: Server, tpl: Any) -> None:
    r = tpl.add({YC.TPL_CONTENT: "【云片科技】您的验证码是#code#", "tplType": "1"})
    assert r.code() == 0, (r.msg(), r.detail())
    added = r.data()
    assert added["tpl_content"] == "【云片科技】您的验证码是#code#"
    assert (added["check_status"], added["reason"]) == ("CHECKING", None)
    assert [v["variable"] for v in added["tpl_variable"]] == ["code"]
    tpl_id = added["tpl_id"]
    assert isinstance(tpl_id, int)

    got = tpl.get({YC.TPL_ID: tpl_id}).data()
    assert got["tpl_id"] == tpl_id and got["check_status"] == "CHECKING"
    assert [t["tpl_id"] for t in tpl.get({}).data()] == [tpl_id]

    server.review_template(tpl_id, "rejected", "缺少业务说明")
    got = tpl.get({YC.TPL_ID: tpl_id}).data()
    assert (got["check_status"], got["reason"]) == ("FAIL", "缺少业务说明")

    r = tpl.update({YC.TPL_ID: tpl_id, YC.TPL_CONTENT: "【云片科技】验证码#code#，#min#分钟有效"})
    assert r.code() == 0, r.detail()
    assert (r.data()["check_status"], r.data()["reason"]) == ("CHECKING", None)
    server.review_template(tpl_id, "approved")
    assert tpl.get({YC.TPL_ID: tpl_id}).data()["check_status"] == "SUCCESS"
    detail = failed(tpl.update({YC.TPL_ID: tpl_id, YC.TPL_CONTENT: "【云片科技】新#code#"}), 2)
    assert "审核通过" in detail

    deleted = tpl.del_tpl({YC.TPL_ID: tpl_id})
    assert deleted.code() == 0 and deleted.data()["tpl_id"] == tpl_id
    assert tpl.get({}).data() == []
    failed(tpl.get({YC.TPL_ID: tpl_id}), 5)


def test_get_default_is_empty(tpl: Any) -> None:
    r = tpl.get_default({})
    assert r.code() == 0 and r.data() == []
    failed(tpl.get_default({YC.TPL_ID: "1"}), 5)


def test_a_pending_signature_is_enough_and_others_are_refused(tpl: Any) -> None:
    assert tpl.add({YC.TPL_CONTENT: "【云片科技】通知#name#"}).code() == 0
    assert "【别家】" in failed(tpl.add({YC.TPL_CONTENT: "【别家】通知#name#"}), 15)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("您的验证码是#code#", 16),
        ("【】验证码#code#", 16),
        ("【云片科技】验证码#code#【又一个】", 16),
        ("【云片科技】验证码#code", 2),
        ("【云片科技】验证码#co de#", 2),
        ("【云片科技】验证码{code}", 2),
        ("【云片科技】验证码#a##b#", 2),
        ("【云片科技】" + "长" * 501, 2),
        ("【云片科技】验证码#code#，详见 https://example.com", 2),
    ],
)
def test_content_errors(tpl: Any, content: str, code: int) -> None:
    failed(tpl.add({YC.TPL_CONTENT: content, "tplType": "1"}), code)
    assert tpl.get({}).data() == []


def test_parameter_errors(tpl: Any) -> None:
    assert "tpl_content" in failed(tpl.add({YC.TPL_CONTENT: ""}), 1)
    failed(tpl.add({YC.TPL_CONTENT: "【云片科技】通知#x#", "notify_type": "9"}), 2)
    failed(tpl.add({YC.TPL_CONTENT: "【云片科技】通知#x#", "tplType": "x"}), 2)
    failed(tpl.get({YC.TPL_ID: "abc"}), 2)
    failed(tpl.update({YC.TPL_ID: "987654", YC.TPL_CONTENT: "【云片科技】通知#x#"}), 5)
    failed(tpl.del_tpl({YC.TPL_ID: "987654"}), 5)
    assert tpl.get({}).data() == []


def test_duplicate_content_is_minus_54(tpl: Any) -> None:
    assert tpl.add({YC.TPL_CONTENT: "【云片科技】到账#amount#元"}).code() == 0
    failed(tpl.add({YC.TPL_CONTENT: "【云片科技】到账#amount#元"}), -54)
    assert len(tpl.get({}).data()) == 1


def test_no_signature_yet(server: Server) -> None:
    other = server.create_account()
    sdk = client(server, other["yunpian"]["apikey"])
    failed(sdk.tpl().add({YC.TPL_CONTENT: "【云片科技】通知#x#"}), 15)
