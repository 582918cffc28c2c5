"""alibabacloud_dysmsapi20170525 (ACS3 and v2) and aliyun-python-sdk-core end to end over
HTTP: every signature and template action, and the business codes they answer."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkdysmsapi.request.v20170525 import (
    AddSmsSignRequest,
    AddSmsTemplateRequest,
    DeleteSmsSignRequest,
    ModifySmsSignRequest,
    QuerySmsSignListRequest,
    QuerySmsSignRequest,
    QuerySmsTemplateListRequest,
    QuerySmsTemplateRequest,
)

from smssign.core.model import QualificationStatus
from tests.conftest import Server
from tests.dialects.aliyun.clients import common, legacy, legacy_call, tea
from tests.samples import PNG_B64

STYLES = ("acs3", "v2")


def client(server: Server, account: dict[str, Any], style: str) -> Any:
    return tea(server, account, v2=style == "v2")


def files(data: str = PNG_B64) -> list[m.AddSmsSignRequestSignFileList]:
    return [m.AddSmsSignRequestSignFileList(file_contents=data, file_suffix="png")]


def add_sign(c: Any, name: str, **extra: Any) -> Any:
    request = m.AddSmsSignRequest(
        sign_name=name, sign_source=1, remark="双11 推广", sign_file_list=files(), **extra
    )
    return c.add_sms_sign(request).body


def sign_id(server: Server, account: dict[str, Any], name: str) -> int:
    async def find(rt: Any) -> int:
        listed, _ = await rt.signatures.page(await rt.accounts.get(account["id"]))
        return int(next(s.id for s in listed if s.name == name))

    return server.run(find)


def qualification(server: Server, account: dict[str, Any], status: str = "approved") -> int:
    made = server.run(
        lambda rt: rt.accounts.add_qualification(
            account["id"], "某某科技有限公司", QualificationStatus(status)
        )
    )
    return int(made.id)


@pytest.mark.parametrize("style", STYLES)
def test_old_generation_signature_lifecycle(
    server: Server, account: dict[str, Any], style: str
) -> None:
    c = client(server, account, style)
    added = add_sign(c, "阿里云")
    assert (added.code, added.sign_name) == ("OK", "阿里云")
    queried = c.query_sms_sign(m.QuerySmsSignRequest(sign_name="阿里云")).body
    assert (queried.sign_status, queried.reason) == (0, "无审核备注")
    assert len(queried.create_date) == 19

    locked = c.modify_sms_sign(
        m.ModifySmsSignRequest(sign_name="阿里云", sign_source=0, remark="改")
    ).body
    assert locked.code == "isv.INVALID_PARAMETERS"
    again = add_sign(c, "阿里云")
    assert again.code == "isv.INVALID_PARAMETERS"

    server.reject(sign_id(server, account, "阿里云"), "材料不清晰")
    queried = c.query_sms_sign(m.QuerySmsSignRequest(sign_name="阿里云")).body
    assert (queried.sign_status, queried.reason) == (2, "材料不清晰")
    listed = c.query_sms_sign_list(m.QuerySmsSignListRequest(page_index=1, page_size=10)).body
    assert listed.total_count == 1
    entry = listed.sms_sign_list[0]
    assert entry.audit_status == "AUDIT_STATE_NOT_PASS"
    assert entry.reason.reject_info == "材料不清晰"
    assert entry.business_type == "通用类型"

    modified = c.modify_sms_sign(
        m.ModifySmsSignRequest(
            sign_name="阿里云", sign_source=0, remark="改", sign_type=0, sign_file_list=[]
        )
    ).body
    assert modified.code == "OK"
    assert c.query_sms_sign(m.QuerySmsSignRequest(sign_name="阿里云")).body.sign_status == 0
    refused = c.delete_sms_sign(m.DeleteSmsSignRequest(sign_name="阿里云")).body
    assert refused.code == "isv.INVALID_PARAMETERS"

    server.approve(sign_id(server, account, "阿里云"))
    listed = c.query_sms_sign_list(m.QuerySmsSignListRequest()).body
    assert listed.sms_sign_list[0].audit_status == "AUDIT_STATE_PASS"
    assert listed.sms_sign_list[0].business_type == "验证码类型"
    approved = c.modify_sms_sign(
        m.ModifySmsSignRequest(sign_name="阿里云", sign_source=0, remark="x")
    )
    assert approved.body.code == "isv.INVALID_PARAMETERS"

    deleted = c.delete_sms_sign(m.DeleteSmsSignRequest(sign_name="阿里云")).body
    assert (deleted.code, deleted.sign_name) == ("OK", "阿里云")
    gone = c.query_sms_sign(m.QuerySmsSignRequest(sign_name="阿里云")).body
    assert gone.code == "isv.SMS_SIGNATURE_ILLEGAL"
    assert c.delete_sms_sign(m.DeleteSmsSignRequest(sign_name="阿里云")).body.code == (
        "isv.SMS_SIGNATURE_ILLEGAL"
    )


@pytest.mark.parametrize(
    ("name", "remark", "image", "code"),
    [
        ("阿里 云", "r", PNG_B64, "isv.SIGN_NAME_ILLEGAL"),
        ("测试签名", "r", PNG_B64, "isv.SIGN_NAME_ILLEGAL"),
        ("阿里云阿里云阿里云阿里云阿", "r", PNG_B64, "isv.SIGN_OVER_LIMIT"),
        ("阿里云", "长" * 201, PNG_B64, "isv.SIGN_OVER_LIMIT"),
        ("阿里云", "r", "bm90IGFuIGltYWdl", "isv.SIGN_FILE_LIMIT"),
    ],
)
def test_old_generation_refusals_change_nothing(
    server: Server, account: dict[str, Any], name: str, remark: str, image: str, code: str
) -> None:
    c = client(server, account, "acs3")
    before = server.row_counts()
    request = m.AddSmsSignRequest(
        sign_name=name, sign_source=1, remark=remark, sign_file_list=files(image)
    )
    assert c.add_sms_sign(request).body.code == code
    assert server.row_counts() == before


def test_account_state_codes(server: Server, account: dict[str, Any]) -> None:
    c = client(server, account, "acs3")
    server.set_account(account["id"], signature_quota=1)
    assert add_sign(c, "阿里云").code == "OK"
    assert add_sign(c, "阿里云二").code == "isv.SIGN_COUNT_OVER_LIMIT"
    server.set_account(account["id"], arrears=True)
    assert add_sign(c, "阿里云三").code == "isv.OUT_OF_SERVICE"
    server.set_account(account["id"], arrears=False, ip_allow=["203.0.113.7"])
    assert add_sign(c, "阿里云三").code == "isv.ACCOUNT_ABNORMAL"


def raises(call: Any) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("style", STYLES)
def test_new_generation_signature_lifecycle(
    server: Server, account: dict[str, Any], style: str
) -> None:
    c = client(server, account, style)
    qid = qualification(server, account)
    request = m.CreateSmsSignRequest(
        sign_name="新一代",
        sign_source=0,
        qualification_id=qid,
        remark="登录验证码",
        more_data=["dir/a.png", "dir/b.png"],
        apply_scene_content="https://example.com",
        third_party=False,
        sign_type=0,
    )
    created = c.create_sms_sign(request).body
    assert created.code == "OK" and created.order_id
    exists = raises(lambda: c.create_sms_sign(request))
    assert (exists.code, exists.status_code) == ("SignName.Exists", 400)
    update = m.UpdateSmsSignRequest().from_map(request.to_map())
    pending = raises(lambda: c.update_sms_sign(update))
    assert (pending.code, pending.status_code) == ("InvalidParameter", 400)

    got = c.get_sms_sign(m.GetSmsSignRequest(sign_name="新一代")).body
    assert (got.sign_status, got.qualification_id, got.third_party) == (0, qid, False)
    assert got.file_url_list == ["dir/a.png", "dir/b.png"]
    assert (got.apply_scene, got.sign_usage, got.remark) == (
        "https://example.com",
        "验证码",
        "登录验证码",
    )

    server.reject(sign_id(server, account, "新一代"), "请补充")
    rejected = c.get_sms_sign(m.GetSmsSignRequest(sign_name="新一代")).body
    assert (rejected.sign_status, rejected.audit_info.reject_info) == (2, "请补充")
    updated = c.update_sms_sign(
        m.UpdateSmsSignRequest(
            sign_name="新一代",
            sign_source=5,
            qualification_id=qid,
            third_party=True,
            authorization_letter_id=7,
        )
    ).body
    assert updated.code == "OK" and updated.order_id != created.order_id
    got = c.get_sms_sign(m.GetSmsSignRequest(sign_name="新一代")).body
    assert (got.sign_status, got.third_party) == (0, True)

    missing = raises(lambda: c.get_sms_sign(m.GetSmsSignRequest(sign_name="没有这个")))
    assert (missing.code, missing.status_code) == ("SignatureNotFound", 404)
    unknown = raises(
        lambda: c.update_sms_sign(
            m.UpdateSmsSignRequest(sign_name="没有这个", sign_source=0, qualification_id=qid)
        )
    )
    assert unknown.code == "SignatureNotFound"


@pytest.mark.parametrize(
    ("name", "qualification_status", "code", "status"),
    [
        ("新签名", None, "QualificationNotFound", 404),
        ("新签名", "pending", "InvalidQualification", 400),
        ("测试一下", "approved", "InvalidSignName", 400),
        ("12345", "approved", "InvalidSignName", 400),
    ],
)
def test_new_generation_refusals_change_nothing(
    server: Server,
    account: dict[str, Any],
    name: str,
    qualification_status: str | None,
    code: str,
    status: int,
) -> None:
    c = client(server, account, "acs3")
    qid = (
        999_999
        if qualification_status is None
        else qualification(server, account, qualification_status)
    )
    before = server.row_counts()
    request = m.CreateSmsSignRequest(sign_name=name, sign_source=0, qualification_id=qid)
    error = raises(lambda: c.create_sms_sign(request))
    assert (error.code, error.status_code) == (code, status)
    assert server.row_counts() == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"sign_source": 0, "third_party": True}, "ParameterMismatch.ThirdParty"),
        ({"sign_source": 2}, "MissApplySceneContent"),
        ({"sign_source": 2, "apply_scene_content": "应用商店"}, "InvalidApplySceneContent"),
        (
            {"sign_source": 1, "apply_scene_content": "ftp://example.com"},
            "InvalidApplySceneContent",
        ),
    ],
)
def test_new_generation_scene_and_third_party_checks(
    server: Server, account: dict[str, Any], fields: dict[str, Any], code: str
) -> None:
    c = client(server, account, "v2")
    qid = qualification(server, account)
    before = server.row_counts()
    request = m.CreateSmsSignRequest(sign_name="新签名", qualification_id=qid, **fields)
    error = raises(lambda: c.create_sms_sign(request))
    assert (error.code, error.status_code) == (code, 400)
    assert server.row_counts() == before
    fine = m.CreateSmsSignRequest(
        sign_name="新签名",
        qualification_id=qid,
        sign_source=2,
        apply_scene_content="https://apps.example.com/app",
        third_party=True,
        authorization_letter_id=3,
    )
    assert c.create_sms_sign(fine).body.code == "OK"
    got = c.get_sms_sign(m.GetSmsSignRequest(sign_name="新签名")).body
    assert (got.authorization_letter_id, got.third_party) == (3, True)


def test_missing_parameters_are_named(server: Server, account: dict[str, Any]) -> None:
    c = client(server, account, "acs3")
    error = raises(lambda: c.create_sms_sign(m.CreateSmsSignRequest(sign_name="缺少来源")))
    assert (error.code, error.status_code) == ("MissingSignSource", 400)
    assert "SignSource is mandatory for this action." in error.message
    error = raises(lambda: c.add_sms_template(m.AddSmsTemplateRequest(template_type=0)))
    assert error.code == "MissingTemplateName"


@pytest.mark.parametrize("style", STYLES)
def test_templates_old_and_new_generation(
    server: Server, account: dict[str, Any], style: str
) -> None:
    c = client(server, account, style)
    fresh = c.add_sms_template(
        m.AddSmsTemplateRequest(template_type=1, template_name="n", template_content="您好${name}")
    ).body
    assert fresh.code == "isv.SMS_SIGNATURE_ILLEGAL"  # no signature applied for yet
    add_sign(c, "阿里云")
    added = c.add_sms_template(
        m.AddSmsTemplateRequest(
            template_type=0,
            template_name="登录验证码",
            template_content="您的验证码为${code}，5分钟内有效。",
            remark="登录",
        )
    ).body
    assert added.code == "OK" and added.template_code.startswith("SMS_")
    code = added.template_code
    queried = c.query_sms_template(m.QuerySmsTemplateRequest(template_code=code)).body
    assert (queried.template_status, queried.template_type) == (0, 0)
    assert queried.template_content == "您的验证码为${code}，5分钟内有效。"
    locked = c.modify_sms_template(
        m.ModifySmsTemplateRequest(
            template_code=code, template_type=0, template_name="x", template_content="码${code}"
        )
    ).body
    assert locked.code == "isv.INVALID_PARAMETERS"

    template_id = int(code.removeprefix("SMS_")) - 100_000_000
    server.review_template(template_id, "rejected", "内容不规范")
    modified = c.modify_sms_template(
        m.ModifySmsTemplateRequest(
            template_code=code,
            template_type=0,
            template_name="登录码",
            template_content="验证码${code}，勿告诉他人。",
        )
    ).body
    assert (modified.code, modified.template_code) == ("OK", code)
    listed = c.query_sms_template_list(m.QuerySmsTemplateListRequest(page_size=50)).body
    assert listed.total_count == 1
    entry = listed.sms_template_list[0]
    assert (entry.audit_status, entry.template_type, entry.outer_template_type) == (
        "AUDIT_STATE_INIT",
        2,
        0,
    )
    assert c.delete_sms_template(m.DeleteSmsTemplateRequest(template_code=code)).body.code == (
        "isv.INVALID_PARAMETERS"
    )

    server.approve(sign_id(server, account, "阿里云"))
    created = c.create_sms_template(
        m.CreateSmsTemplateRequest(
            template_name="发货通知",
            template_content="${name}，您的订单${order}已发货。",
            template_type=1,
            related_sign_name="阿里云",
            template_rule='{"name": "name", "order": "other_number2"}',
            more_data=["dir/a.png"],
        )
    ).body
    assert created.code == "OK" and created.order_id
    got = c.get_sms_template(m.GetSmsTemplateRequest(template_code=created.template_code)).body
    assert (got.template_status, got.template_type) == ("0", "1")
    assert got.template_content == "${name}，您的订单${order}已发货。"
    new_id = int(created.template_code.removeprefix("SMS_")) - 100_000_000
    server.review_template(new_id, "rejected", "请补充")
    updated = c.update_sms_template(
        m.UpdateSmsTemplateRequest(
            template_code=created.template_code,
            template_name="发货提醒",
            template_content="${name}，订单${order}已发出。",
            template_type=3,
            intl_type=0,
        )
    ).body
    assert updated.code == "isv.INVALID_PARAMETERS"  # a template keeps its scope
    updated = c.update_sms_template(
        m.UpdateSmsTemplateRequest(
            template_code=created.template_code,
            template_name="发货提醒",
            template_content="${name}，订单${order}已发出。",
            template_type=1,
        )
    ).body
    assert updated.code == "OK"
    server.review_template(new_id, "approved")
    page = c.get_sms_template_list(m.GetSmsTemplateListRequest(page_index=1, page_size=10)).body
    assert page.data.total == 2
    shown = {t.template_code: t for t in page.data.list}
    assert shown[created.template_code].audit_status == 1
    assert shown[created.template_code].template_name == "发货提醒"
    filtered = c.get_sms_template_list(m.GetSmsTemplateListRequest(template_type=0)).body
    assert [t.template_code for t in filtered.data.list] == [code]

    deleted = c.delete_sms_template(
        m.DeleteSmsTemplateRequest(template_code=created.template_code)
    ).body
    assert deleted.code == "OK"
    for unknown in (created.template_code, "SMS_1", "nonsense"):
        gone = c.query_sms_template(m.QuerySmsTemplateRequest(template_code=unknown)).body
        assert gone.code == "isv.SMS_TEMPLATE_ILLEGAL"


@pytest.mark.parametrize(
    ("content", "related"),
    [
        ("验证码{1}", None),
        ("验证码${}", None),
        ("【阿里云】验证码${code}", None),
        ("码${c}", "别人的"),
    ],
)
def test_template_refusals_change_nothing(
    server: Server, account: dict[str, Any], content: str, related: str | None
) -> None:
    c = client(server, account, "v2")
    add_sign(c, "阿里云")
    before = server.row_counts()
    reply = c.create_sms_template(
        m.CreateSmsTemplateRequest(
            template_name="n", template_content=content, template_type=0, related_sign_name=related
        )
    ).body
    expected = "isv.SMS_SIGNATURE_ILLEGAL" if related else "isv.INVALID_PARAMETERS"
    assert reply.code == expected
    assert server.row_counts() == before


def test_legacy_sdk_and_common_request(server: Server, account: dict[str, Any]) -> None:
    client = legacy(server, account)
    add = AddSmsSignRequest.AddSmsSignRequest()
    add.set_SignName("阿里云")
    add.set_SignSource(1)
    add.set_Remark("双11 推广")
    add.set_SignFileLists([{"FileContents": PNG_B64, "FileSuffix": "png"}])
    assert legacy_call(client, add)["Code"] == "OK"
    query = QuerySmsSignRequest.QuerySmsSignRequest()
    query.set_SignName("阿里云")
    assert legacy_call(client, query)["SignStatus"] == 0
    server.reject(sign_id(server, account, "阿里云"), "不清晰")
    modify = ModifySmsSignRequest.ModifySmsSignRequest()
    modify.set_SignName("阿里云")
    modify.set_SignSource(0)
    modify.set_Remark("再次")
    assert legacy_call(client, modify)["Code"] == "OK"
    listed = legacy_call(client, QuerySmsSignListRequest.QuerySmsSignListRequest())
    assert [s["SignName"] for s in listed["SmsSignList"]] == ["阿里云"]

    template = AddSmsTemplateRequest.AddSmsTemplateRequest()
    template.set_TemplateType(0)
    template.set_TemplateName("登录")
    template.set_TemplateContent("验证码${code}，5分钟内有效。")
    template.set_Remark("登录")
    code = legacy_call(client, template)["TemplateCode"]
    query_template = QuerySmsTemplateRequest.QuerySmsTemplateRequest()
    query_template.set_TemplateCode(code)
    assert legacy_call(client, query_template)["TemplateContent"] == "验证码${code}，5分钟内有效。"
    templates = legacy_call(client, QuerySmsTemplateListRequest.QuerySmsTemplateListRequest())
    assert templates["TotalCount"] == 1

    got = common(server, client, "GetSmsSign", SignName="阿里云")
    assert (got["Code"], got["SignStatus"], got["Remark"]) == ("OK", 0, "再次")
    qid = qualification(server, account)
    created = common(
        server, client, "CreateSmsSign", SignName="新一代", SignSource=0, QualificationId=qid
    )
    assert created["Code"] == "OK"
    made = common(
        server,
        client,
        "CreateSmsTemplate",
        TemplateName="通知",
        TemplateContent="${name}您好",
        TemplateType=1,
    )
    got_template = common(server, client, "GetSmsTemplate", TemplateCode=made["TemplateCode"])
    assert got_template["TemplateContent"] == "${name}您好"
    page = common(server, client, "GetSmsTemplateList", PageIndex=1, PageSize=10)
    assert page["Data"]["Total"] == 2
    delete = DeleteSmsSignRequest.DeleteSmsSignRequest()
    delete.set_SignName("新一代")
    assert legacy_call(client, delete)["Code"] == "isv.INVALID_PARAMETERS"  # under review
