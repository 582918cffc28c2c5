"""tencentcloud-sdk-python end to end over HTTP for the template actions: all four
request styles, both versions, and every template error code of the spec's mapping."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from smssign.app.runtime import Runtime
from smssign.core import templates
from smssign.core.model import TemplateType
from smssign.core.templates import TemplateDraft
from tests.clients.test_tencent_sdk import STYLES, VERSIONS, Sms
from tests.conftest import Server

CODE = "您的验证码是{1}，{2}分钟内有效。"


class TemplateSms(Sms):
    """The SDK client with the template actions' parameters filled in."""

    def add_template(self, content: str = CODE, **overrides: Any) -> Any:
        params = {
            "TemplateName": "验证码",
            "TemplateContent": content,
            "SmsType": 3,
            "International": 0,
            "Remark": "登录",
            **overrides,
        }
        return self.call("AddSmsTemplate", **params)

    def added_id(self, content: str = CODE, **overrides: Any) -> int:
        return int(self.add_template(content, **overrides).AddTemplateStatus.TemplateId)

    def modify_template(self, template_id: int, content: str = CODE, **overrides: Any) -> Any:
        params = {
            "TemplateId": template_id,
            "TemplateName": "验证码二",
            "TemplateContent": content,
            "SmsType": 2,
            "International": 0,
            "Remark": "改",
            **overrides,
        }
        return self.call("ModifySmsTemplate", **params)

    def describe_templates(self, *ids: int, international: int = 0) -> list[Any]:
        reply = self.call(
            "DescribeSmsTemplateList", TemplateIdSet=list(ids), International=international
        )
        return list(reply.DescribeTemplateStatusSet)


def signed(server: Server, style: str, version: str) -> TemplateSms:
    """A client of a fresh account that has applied for a signature."""
    sms = TemplateSms(server, server.create_account(), style, version)
    sms.add("模板签名")
    return sms


@pytest.fixture(params=[(s, v) for s in STYLES for v in VERSIONS], ids=lambda p: f"{p[0]}-{p[1]}")
def sms(request: pytest.FixtureRequest, server: Server) -> TemplateSms:
    style, version = request.param
    return signed(server, style, version)


def test_template_lifecycle(sms: TemplateSms, server: Server) -> None:
    added = sms.add_template()
    wire = json.loads(added.to_json_string())["AddTemplateStatus"]
    assert isinstance(wire["TemplateId"], str), "AddTemplateStatus.TemplateId is a String"
    template_id = int(wire["TemplateId"])

    (entry,) = sms.describe_templates(template_id)
    assert (entry.TemplateId, entry.TemplateName, entry.StatusCode, entry.International) == (
        template_id,
        "验证码",
        1,
        0,
    )
    assert isinstance(entry.TemplateId, int) and entry.CreateTime > 1_600_000_000
    if sms.version == "2021-01-11":
        assert entry.TemplateContent == CODE
    else:
        assert (
            "TemplateContent"
            not in json.loads(
                sms.call(
                    "DescribeSmsTemplateList", TemplateIdSet=[template_id], International=0
                ).to_json_string()
            )["DescribeTemplateStatusSet"][0]
        )

    modified = sms.modify_template(template_id, "通知：{1}已发货")
    modify_wire = json.loads(modified.to_json_string())["ModifyTemplateStatus"]
    assert modify_wire["TemplateId"] == template_id

    server.review_template(template_id, "rejected", "措辞不当")
    (entry,) = sms.describe_templates(template_id)
    assert (entry.StatusCode, entry.ReviewReply, entry.TemplateName) == (-1, "措辞不当", "验证码二")

    sms.modify_template(template_id, "通知：{1}已签收")
    assert sms.describe_templates(template_id)[0].StatusCode == 1
    server.review_template(template_id, "approved")
    assert sms.describe_templates(template_id)[0].StatusCode == 0
    assert sms.error(lambda: sms.modify_template(template_id)) == (
        "FailedOperation.TemplateAlreadyPassedCheck"
    )
    # Adding the text of an approved template again is refused the same way; another
    # scope, or a text only pending so far, is not.
    assert sms.error(lambda: sms.add_template("通知：{1}已签收")) == (
        "FailedOperation.TemplateAlreadyPassedCheck"
    )
    assert sms.added_id("通知：{1}已签收", International=1, SmsType=2) > 0

    deleted = sms.call("DeleteSmsTemplate", TemplateId=template_id).DeleteTemplateStatus
    assert deleted.DeleteStatus == "return successfully!"
    assert isinstance(deleted.DeleteTime, int)
    assert sms.describe_templates(template_id) == []
    assert sms.error(lambda: sms.call("DeleteSmsTemplate", TemplateId=template_id)) == (
        "FailedOperation.TemplateIdNotExist"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_template_error_codes(server: Server, version: str) -> None:
    unsigned = TemplateSms(server, server.create_account(), "tc3-post", version)
    assert unsigned.error(unsigned.add_template) == "FailedOperation.MissingSignature"

    sms = signed(server, "tc3-post", version)
    fmt = (
        "InvalidParameterValue.InvalidTemplateFormat"
        if version == "2021-01-11"
        else "InvalidParameter.InvalidParameters"
    )
    for content in ["【腾讯】验证码{1}", "验证码{1}{2}", "验证码{2}", "验证码{code}", "x" * 501]:
        assert sms.error(functools.partial(sms.add_template, content)) == fmt, content
    assert sms.error(lambda: sms.add_template("验证码{1}，详见 https://a.example.com")) == fmt
    assert sms.error(lambda: sms.add_template(SmsType=4)) == "InvalidParameterValue.InvalidSmsType"
    assert sms.error(lambda: sms.add_template(International=2)) == (
        "InvalidParameterValue.InvalidInternational"
    )
    assert sms.error(lambda: sms.add_template("新品上市", SmsType=1)) == (
        "InvalidParameterValue.MarketingTemplateWithoutUnsubscribe"
    )
    assert sms.added_id("新品上市，拒收请回复R", SmsType=1) > 0
    assert sms.error(lambda: sms.add_template(TemplateName="")) == (
        "InvalidParameter.InvalidParameters"
    )

    template_id = sms.added_id()
    assert sms.error(lambda: sms.modify_template(template_id, International=1)) == (
        "InvalidParameterValue.InvalidInternational"
    )
    assert sms.error(lambda: sms.modify_template(template_id + 1000)) == (
        "FailedOperation.MissingTemplateToModify"
    )
    other = signed(server, "tc3-post", version)
    assert other.describe_templates(template_id) == []
    assert other.error(lambda: other.modify_template(template_id)) == (
        "FailedOperation.MissingTemplateToModify"
    )
    assert other.error(lambda: other.call("DeleteSmsTemplate", TemplateId=template_id)) == (
        "FailedOperation.TemplateIdNotExist"
    )

    individual = server.create_account(individual=True)
    lone = TemplateSms(server, individual, "tc3-post", version)
    assert lone.error(lone.add_template) == "FailedOperation.NotEnterpriseCertification"
    assert sms.error(lambda: sms.call("AddSmsTemplate", TemplateName="x")) == "MissingParameter"


def test_template_quota(server: Server) -> None:
    """An account holding as many templates as it may gets TemplateNumberLimit."""
    account = server.create_account()
    sms = TemplateSms(server, account, "tc3-post", "2021-01-11")
    sms.add("配额签名")
    server.run(lambda rt: fill_quota(rt, int(account["id"])))
    assert sms.error(sms.add_template) == "FailedOperation.TemplateNumberLimit"


async def fill_quota(runtime: Runtime, account_id: int) -> None:
    account = await runtime.accounts.get(account_id)
    draft = TemplateDraft("填充", "填充{1}", TemplateType.NOTIFICATION, False)
    for _ in range(templates.MOST_TEMPLATES):
        await runtime.templates.add(account, draft, dialect="test")


def test_paging_2021(server: Server) -> None:
    sms = signed(server, "tc3-post", "2021-01-11")
    ids = [sms.added_id(f"分页{i}：{{1}}") for i in range(5)]
    page = sms.call("DescribeSmsTemplateList", International=0, Limit=2, Offset=1)
    assert [e.TemplateId for e in page.DescribeTemplateStatusSet] == ids[1:3]
    everything = sms.call("DescribeSmsTemplateList", International=0)
    assert [e.TemplateId for e in everything.DescribeTemplateStatusSet] == ids
    assert sms.error(lambda: sms.call("DescribeSmsTemplateList", International=0, Limit=101)) == (
        "InvalidParameterValue.LimitVerifyFail"
    )
    too_many = list(range(1, 102))
    assert (
        sms.error(
            lambda: sms.call("DescribeSmsTemplateList", International=0, TemplateIdSet=too_many)
        )
        == "InvalidParameterValue.LimitVerifyFail"
    )
    overseas = sms.added_id("Your code is {1}", International=1)
    assert [e.TemplateId for e in sms.describe_templates(overseas, ids[0])] == [ids[0]]
    assert [e.TemplateId for e in sms.describe_templates(overseas, international=1)] == [overseas]
