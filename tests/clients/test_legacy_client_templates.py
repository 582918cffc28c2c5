"""Legacy template calls through smssign.client over HTTP: every action and its refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smssign.client import (
    APPROVED,
    MARKETING,
    NORMAL,
    PENDING,
    REJECTED,
    LegacySignClient,
    LegacySmsError,
    TemplateStatus,
)
from tests.conftest import Server

CODE = "您的验证码是{1}，{2}分钟内有效。"


@pytest.fixture
def sms(server: Server, account: dict[str, Any]) -> Iterator[LegacySignClient]:
    legacy = account["legacy"]
    with LegacySignClient(legacy["sdkappid"], legacy["appkey"], base_url=server.url) as client:
        client.add_sign("模板测试")
        yield client


def refused(call: Any, *args: Any, **kwargs: Any) -> LegacySmsError:
    with pytest.raises(LegacySmsError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_the_four_calls(server: Server, sms: LegacySignClient) -> None:
    added = sms.add_template(CODE, title="验证码", remark="登录")
    assert added == TemplateStatus(added.id, CODE, PENDING, NORMAL, False)
    changed = sms.mod_template(added.id, "验证码{1}，请勿泄露。")
    assert (changed.id, changed.text, changed.status) == (
        added.id,
        "验证码{1}，请勿泄露。",
        PENDING,
    )
    [record] = sms.get_template(added.id)
    assert (record.title, record.text, record.reply) == ("验证码", "验证码{1}，请勿泄露。", "")
    server.review_template(added.id, "approved")
    assert sms.get_template([added.id])[0].status == APPROVED
    error = refused(sms.mod_template, added.id, "改不了{1}")
    assert error.result == 1007 and "approved template" in error.errmsg
    sms.del_template(added.id)
    assert sms.get_template(added.id) == []


def test_rejection_reason_and_resubmission(server: Server, sms: LegacySignClient) -> None:
    added = sms.add_template("活动{1}开始，回T退订", type=MARKETING, title="活动")
    server.review_template(added.id, "rejected", "内容不规范")
    [record] = sms.get_template(added.id)
    assert (record.status, record.reply, record.type) == (REJECTED, "内容不规范", MARKETING)
    again = sms.mod_template(added.id, "新活动{1}开始，回T退订", type=MARKETING)
    assert (again.status, again.type) == (PENDING, MARKETING)
    assert sms.get_template(added.id)[0].reply == ""


def test_paging_and_international(sms: LegacySignClient) -> None:
    ids = [sms.add_template(f"第{n}条通知{{1}}").id for n in range(3)]
    abroad = sms.add_template("Your code is {1}", international=True)
    assert abroad.international is True
    first = sms.get_template_page(limit=2)
    assert first.total == 4 and [r.id for r in first.records] == ids[:2]
    rest = sms.get_template_page(limit=2, offset=2).records
    assert [r.id for r in rest] == [ids[2], abroad.id] and rest[1].international is True


def test_mod_keeps_scope(sms: LegacySignClient) -> None:
    abroad = sms.add_template("Code {1}", international=True)
    assert sms.mod_template(abroad.id, "New code {1}").international is True


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("验证码{code}", "{1}"),
        ("【腾讯】验证码{1}", "text"),
        ("x" * 501, "text"),
        ("   ", "empty"),
        ("验证码{1}{2}", "text"),
    ],
)
def test_content_refusals_are_1004(sms: LegacySignClient, text: str, words: str) -> None:
    error = refused(sms.add_template, text)
    assert error.result == 1004 and words in error.errmsg


def test_bad_fields_are_1004(sms: LegacySignClient) -> None:
    assert refused(sms.add_template, "通知{1}", type=2).result == 1004
    assert refused(sms.call, "add_template", {"text": "通知{1}"}).result == 1004
    assert refused(sms.call, "add_template", {"text": 5, "type": 0}).result == 1004
    assert refused(sms.call, "get_template", {}).result == 1004
    both = {"tpl_id": [1], "tpl_page": {"max": 5, "offset": 0}}
    assert refused(sms.call, "get_template", both).result == 1004
    assert refused(sms.call, "get_template", {"tpl_page": {"max": 51}}).result == 1004
    assert refused(sms.call, "del_template", {"tpl_id": []}).result == 1004


def test_unknown_ids_fail_whole_delete(sms: LegacySignClient) -> None:
    kept = sms.add_template("保留{1}")
    error = refused(sms.del_template, [kept.id, 987654])
    assert error.result == 1007 and "tpl_id" in error.errmsg
    assert [r.id for r in sms.get_template(kept.id)] == [kept.id]
    assert refused(sms.mod_template, 987654, "无{1}").result == 1007
    assert sms.get_template([987654]) == []


def test_a_template_needs_a_signature_first(server: Server) -> None:
    other = server.create_account(name="no-sign")
    legacy = other["legacy"]
    with LegacySignClient(legacy["sdkappid"], legacy["appkey"], base_url=server.url) as sms:
        error = refused(sms.add_template, "验证码{1}")
        assert error.result == 1007 and "signature" in error.errmsg


def test_individual_accounts_may_not_apply(server: Server) -> None:
    other = server.create_account(name="individual")
    server.set_account(other["id"], individual=True)
    legacy = other["legacy"]
    with LegacySignClient(legacy["sdkappid"], legacy["appkey"], base_url=server.url) as sms:
        assert refused(sms.add_template, "验证码{1}").result == 1006
        assert sms.get_template_page().total == 0
