"""One template, three faces: the same id and status everywhere, each dialect's variables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.client import APPROVED, PENDING, REJECTED, LegacySignClient
from tests.conftest import Server
from tests.test_cross_dialect import cli, tencent, tencent_call, yunpian


@pytest.fixture
def faces(server: Server) -> dict[str, Any]:
    return cli(server, "accounts", "create", f"tpl-faces-{server.port}-{next(server._names)}")


@pytest.fixture
def sms(server: Server, faces: dict[str, Any]) -> Iterator[LegacySignClient]:
    legacy = faces["legacy"]
    with LegacySignClient(legacy["sdkappid"], legacy["appkey"], base_url=server.url) as client:
        yield client


def test_tencent_numbered_template_through_yunpian_and_legacy(
    server: Server, faces: dict[str, Any], sms: LegacySignClient
) -> None:
    v3 = tencent(server, faces["tencent"]["secret_id"], faces["tencent"]["secret_key"])
    sms.add_sign("腾讯科技")
    added = tencent_call(
        v3,
        "AddSmsTemplate",
        TemplateName="验证码",
        TemplateContent="验证码{1}，{2}分钟内有效",
        SmsType=0,
        International=0,
        Remark="登录",
    )
    tpl_id = int(added.AddTemplateStatus.TemplateId)
    yp = yunpian_tpl(server, faces)
    seen = yp.get({YC.TPL_ID: tpl_id}).data()
    assert seen["tpl_content"] == "【腾讯科技】验证码#1#，#2#分钟内有效"
    assert [v["variable"] for v in seen["tpl_variable"]] == ["1", "2"]
    assert seen["check_status"] == "CHECKING"
    [record] = sms.get_template(tpl_id)
    assert (record.text, record.status, record.title) == (
        "验证码{1}，{2}分钟内有效",
        PENDING,
        "验证码",
    )

    server.review_template(tpl_id, "rejected", "请补充用途")
    assert yp.get({YC.TPL_ID: tpl_id}).data()["reason"] == "请补充用途"
    assert sms.get_template(tpl_id)[0].status == REJECTED
    # Yunpian edits it with its own syntax; Tencent reads it back numbered.
    update = {YC.TPL_ID: tpl_id, YC.TPL_CONTENT: "【腾讯科技】验证码#1#，#2#分钟有效"}
    assert yp.update(update).code() == 0
    described = tencent_call(v3, "DescribeSmsTemplateList", TemplateIdSet=[tpl_id], International=0)
    [status] = described.DescribeTemplateStatusSet
    assert (status.TemplateContent, status.StatusCode) == ("验证码{1}，{2}分钟有效", 1)


def test_yunpian_named_template_through_tencent_and_legacy(
    server: Server, faces: dict[str, Any], sms: LegacySignClient
) -> None:
    yp_client = yunpian(server, faces["yunpian"]["apikey"])
    assert yp_client.sign().add({YC.SIGN: "云片科技"}).code() == 0
    yp = yunpian_tpl(server, faces)
    added = yp.add({YC.TPL_CONTENT: "【云片科技】验证码#code#，#min#分钟，#code#勿泄露"}).data()
    tpl_id = added["tpl_id"]
    [record] = sms.get_template(tpl_id)
    assert record.text == "验证码{1}，{2}分钟，{1}勿泄露" and record.title == "云片科技"
    server.review_template(tpl_id, "approved")
    v3 = tencent(server, faces["tencent"]["secret_id"], faces["tencent"]["secret_key"])
    described = tencent_call(v3, "DescribeSmsTemplateList", TemplateIdSet=[tpl_id], International=0)
    [status] = described.DescribeTemplateStatusSet
    assert (status.TemplateId, status.StatusCode) == (tpl_id, 0)
    assert status.TemplateContent == "验证码{1}，{2}分钟，{1}勿泄露"
    assert sms.get_template(tpl_id)[0].status == APPROVED
    assert yp.get({YC.TPL_ID: tpl_id}).data()["check_status"] == "SUCCESS"
    # Deleted through the legacy API, gone from the other two faces.
    sms.del_template(tpl_id)
    assert yp.get({YC.TPL_ID: tpl_id}).code() == 5
    described = tencent_call(v3, "DescribeSmsTemplateList", TemplateIdSet=[tpl_id], International=0)
    assert described.DescribeTemplateStatusSet == []


def yunpian_tpl(server: Server, faces: dict[str, Any]) -> Any:
    conf = {YC.YP_TPL_HOST: server.url, YC.YP_SIGN_HOST: server.url}
    return YunpianClient(faces["yunpian"]["apikey"], conf=conf).tpl()
