"""Alibaba Cloud beside the other dialects: one account's signatures and templates are the
same objects through Alibaba, Tencent API 3.0 and Yunpian, and its Alibaba credential is
issued by `accounts create --json` and rotated on its own. A signature made through
Alibaba, reviewed with `smssign review`, with a template made through Tencent, sends
through Yunpian, and Alibaba reads all three back."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.dialects.aliyun import views
from tests.conftest import Server
from tests.dialects.aliyun.clients import tea
from tests.dialects.aliyun.sending import reported
from tests.samples import PNG_B64
from tests.test_cross_dialect import cli, tencent, tencent_call, yunpian


def account_json(server: Server) -> dict[str, Any]:
    return cli(server, "accounts", "create", f"ali-{server.port}-{next(server._names)}")


def test_accounts_create_json_and_rotate(server: Server) -> None:
    issued = account_json(server)
    ali = issued["aliyun"]
    assert set(ali) == {"access_key_id", "access_key_secret"}
    assert ali["access_key_id"].startswith("LTAI") and len(ali["access_key_id"]) == 24
    assert len(ali["access_key_secret"]) == 30
    old = tea(server, issued)
    assert old.query_sms_sign_list(m.QuerySmsSignListRequest()).body.code == "OK"

    rotated = cli(server, "accounts", "rotate", str(issued["id"]), "--dialect", "aliyun")
    assert rotated["aliyun"]["access_key_id"] != ali["access_key_id"]
    try:
        old.query_sms_sign_list(m.QuerySmsSignListRequest())
        raise AssertionError("the old AccessKeyId still works")
    except ClientException as refused:
        assert (refused.code, refused.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    new = tea(server, {"aliyun": rotated["aliyun"]})
    assert new.query_sms_sign_list(m.QuerySmsSignListRequest()).body.code == "OK"
    # The other dialects' credentials are untouched.
    other = tencent(server, issued["tencent"]["secret_id"], issued["tencent"]["secret_key"])
    assert (
        tencent_call(other, "DescribeSmsSignList", International=0).DescribeSignListStatusSet == []
    )


def test_alibaba_signature_reviewed_and_read_through_the_others(server: Server) -> None:
    issued = account_json(server)
    ali = tea(server, issued, v2=True)
    request = m.AddSmsSignRequest(
        sign_name="阿里云",
        sign_source=1,
        remark="r",
        sign_file_list=[m.AddSmsSignRequestSignFileList(file_contents=PNG_B64, file_suffix="png")],
    )
    assert ali.add_sms_sign(request).body.code == "OK"
    tc = tencent(server, issued["tencent"]["secret_id"], issued["tencent"]["secret_key"])
    [listed] = tencent_call(tc, "DescribeSmsSignList", International=0).DescribeSignListStatusSet
    assert (listed.SignName, listed.StatusCode) == ("阿里云", 1)
    server.reject(listed.SignId, "请补充材料")
    yp = yunpian(server, issued["yunpian"]["apikey"])
    [shown] = yp.sign().get({"sign": "【阿里云】"}).data()
    assert (shown["check_status"], shown["remark"]) == ("FAIL", "请补充材料")
    # Modified through Yunpian, approved, then read back through Alibaba.
    assert yp.sign().update({"old_sign": "阿里云", "sign": "阿里云"}).code() == 0
    server.approve(listed.SignId)
    got = ali.query_sms_sign(m.QuerySmsSignRequest(sign_name="阿里云")).body
    assert got.sign_status == 1


def test_the_others_signatures_and_templates_read_through_alibaba(server: Server) -> None:
    issued = account_json(server)
    tc = tencent(server, issued["tencent"]["secret_id"], issued["tencent"]["secret_key"])
    sign = tencent_call(
        tc,
        "AddSmsSign",
        SignName="腾讯云",
        SignType=0,
        DocumentType=1,
        International=0,
        SignPurpose=0,
        ProofImage=PNG_B64,
    ).AddSignStatus.SignId
    server.approve(sign)
    template = tencent_call(
        tc,
        "AddSmsTemplate",
        TemplateName="验证码",
        TemplateContent="您的验证码是{1}，{2}分钟内有效。",
        SmsType=3,
        International=0,
        Remark="登录",
    ).AddTemplateStatus.TemplateId
    ali = tea(server, issued)
    got = ali.get_sms_sign(m.GetSmsSignRequest(sign_name="腾讯云")).body
    assert got.sign_status == 1
    code = f"SMS_{100_000_000 + int(template)}"
    shown = ali.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body
    assert shown.template_content == "您的验证码是${1}，${2}分钟内有效。"
    assert shown.template_type == "0"
    server.review_template(int(template), "rejected", "改")
    # Modified through Alibaba with the numbered names it shows: still {1}, {2} in Tencent.
    modified = ali.modify_sms_template(
        m.ModifySmsTemplateRequest(
            template_code=code,
            template_type=0,
            template_name="验证码",
            template_content="验证码${1}，${2}分钟有效。",
        )
    ).body
    assert modified.code == "OK"
    [described] = tencent_call(
        tc, "DescribeSmsTemplateList", TemplateIdSet=[int(template)], International=0
    ).DescribeTemplateStatusSet
    assert described.TemplateContent == "验证码{1}，{2}分钟有效。"

    created = ali.create_sms_template(
        m.CreateSmsTemplateRequest(
            template_name="通知", template_content="${name}，您的订单已发货。", template_type=1
        )
    ).body
    new_id = int(created.template_code.removeprefix("SMS_")) - 100_000_000
    [named] = tencent_call(
        tc, "DescribeSmsTemplateList", TemplateIdSet=[new_id], International=0
    ).DescribeTemplateStatusSet
    assert named.TemplateContent == "{1}，您的订单已发货。"


def review(server: Server, *args: str) -> str:
    """`smssign review …` as an operator runs it; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "smssign", "review", *args, "--database", server.database_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def pending_id(server: Server, kind: str, account_id: int, name: str) -> int:
    listed = json.loads(review(server, "list", "--status", "pending", "--kind", kind, "--json"))
    return int(next(i["id"] for i in listed if i["account_id"] == account_id and i["name"] == name))


def test_sign_through_alibaba_template_through_tencent_sent_through_yunpian(
    server: Server,
) -> None:
    issued = account_json(server)
    ali = tea(server, issued)
    files = [m.AddSmsSignRequestSignFileList(file_contents=PNG_B64, file_suffix="png")]
    added = ali.add_sms_sign(
        m.AddSmsSignRequest(sign_name="阿里云", sign_source=1, remark="r", sign_file_list=files)
    ).body
    assert added.code == "OK"
    sign = pending_id(server, "signature", issued["id"], "阿里云")
    assert review(server, "approve", str(sign)).strip() == f"signature {sign}: approved"

    tc = tencent(server, issued["tencent"]["secret_id"], issued["tencent"]["secret_key"])
    template = int(
        tencent_call(
            tc,
            "AddSmsTemplate",
            TemplateName="登录码",
            TemplateContent="您的登录验证码是{1}，{2}分钟内有效。",
            SmsType=3,
            International=0,
            Remark="登录",
        ).AddTemplateStatus.TemplateId
    )
    assert pending_id(server, "template", issued["id"], "登录码") == template
    review(server, "approve", str(template), "--kind", "template")

    # Yunpian sends free text, which must match the approved template under 【阿里云】.
    yp = YunpianClient(issued["yunpian"]["apikey"], conf={YC.YP_SMS_HOST: server.url})
    text = "【阿里云】您的登录验证码是4821，5分钟内有效。"
    sent = yp.sms().single_send({YC.MOBILE: "13800138000", YC.TEXT: text})
    assert sent.code() == 0, sent.msg()
    sid = str(sent.data()["sid"])

    # Everything reads back through Alibaba, old and new generation.
    assert ali.query_sms_sign(m.QuerySmsSignRequest(sign_name="阿里云")).body.sign_status == 1
    assert ali.get_sms_sign(m.GetSmsSignRequest(sign_name="阿里云")).body.sign_status == 1
    code = views.template_code(template)
    old = ali.query_sms_template(m.QuerySmsTemplateRequest(template_code=code)).body
    assert (old.template_status, old.template_type) == (1, 0)
    assert old.template_content == "您的登录验证码是${1}，${2}分钟内有效。"
    new = ali.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body
    assert (new.template_status, new.template_name) == ("1", "登录码")
    details = reported(ali, "13800138000", sid)
    (dto,) = details.sms_send_detail_dtos.sms_send_detail_dto
    assert (dto.content, dto.template_code, dto.send_status) == (text, code, 3)
    assert dto.phone_num == "13800138000"

    # Alibaba sends the Tencent template by the numbered names it shows: the code is the
    # first variable (4 to 6 characters), the minutes are any other value.
    again = ali.send_sms(
        m.SendSmsRequest(
            phone_numbers="13800138001",
            sign_name="阿里云",
            template_code=code,
            template_param=json.dumps({"1": "7777", "2": "5"}),
        )
    ).body
    assert again.code == "OK", again
    (dto,) = reported(ali, "13800138001", again.biz_id).sms_send_detail_dtos.sms_send_detail_dto
    assert dto.content == "【阿里云】您的登录验证码是7777，5分钟内有效。"
