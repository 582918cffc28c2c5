"""The testing kit's message helpers: a sign-up flow sends a code with tencentcloud-sdk-python
on its default endpoint, and the test reads it back, sets an outcome and replies."""

from __future__ import annotations

import json
from typing import Any

from tencentcloud.sms.v20210111 import models, sms_client

from smssign.testing import SmsMock
from smssign.testing.server import SmssignServer
from tests.backoffice import Receiver, wait_until
from tests.testing.test_inprocess import add, tencent
from tests.testing.test_plugin import on_server
from tests.webhooks.test_reports import signed_by, yunpian_field


def _ready(kit: SmsMock | SmssignServer, client: sms_client.SmsClient) -> str:
    """An approved signature 注册 and template; the template id."""
    kit.approve(add(client, "注册"))
    request = models.AddSmsTemplateRequest()
    request.from_json_string(
        json.dumps(
            {
                "TemplateName": "注册码",
                "TemplateContent": "您的注册验证码是{1}，5分钟内有效。",
                "SmsType": 3,
                "International": 0,
                "Remark": "sign-up",
            }
        )
    )
    template_id = client.AddSmsTemplate(request).AddTemplateStatus.TemplateId
    kit.approve_template(int(template_id))
    return str(template_id)


def sign_up(
    client: sms_client.SmsClient, app_id: str, template_id: str, mobile: str, code: str
) -> Any:
    """What an application's sign-up flow does: send the code."""
    request = models.SendSmsRequest()
    request.from_json_string(
        json.dumps(
            {
                "PhoneNumberSet": [mobile],
                "SmsSdkAppId": app_id,
                "TemplateId": template_id,
                "SignName": "注册",
                "TemplateParamSet": [code],
            }
        )
    )
    return client.SendSms(request).SendStatusSet[0]


def test_the_mock_reads_back_the_code_a_sign_up_sent(smssign_mock: SmsMock) -> None:
    account = smssign_mock.create_account("shop")
    client = tencent(account)
    template_id = _ready(smssign_mock, client)
    app_id = str(account["legacy"]["sdkappid"])
    assert smssign_mock.latest_message("13800138000") is None
    status = sign_up(client, app_id, template_id, "13800138000", "482913")
    latest = smssign_mock.latest_message("+8613800138000")
    assert latest is not None and latest["params"] == ["482913"]
    assert latest["text"] == "【注册】您的注册验证码是482913，5分钟内有效。"
    assert latest["provider_message_id"] == status.SerialNo
    assert latest["status"] == "delivered"
    sign_up(client, app_id, template_id, "13800138001", "111111")
    assert [m["mobile"] for m in smssign_mock.messages()] == ["+8613800138001", "+8613800138000"]
    assert [m["params"] for m in smssign_mock.messages("13800138000")] == [["482913"]]

    changed = smssign_mock.set_message_status(latest["id"], "failed", "MK:0001")
    assert (changed["status"], changed["error_code"]) == ("failed", "MK:0001")
    reply = smssign_mock.reply("13800138000", "退订")
    assert (reply["account_id"], reply["sign"]) == (account["id"], "注册")
    pull = models.PullSmsReplyStatusRequest()
    pull.from_json_string(json.dumps({"SmsSdkAppId": app_id, "Limit": 10}))
    (pulled,) = client.PullSmsReplyStatus(pull).PullSmsReplyStatusSet
    assert (pulled.ReplyContent, pulled.SignName) == ("退订", "注册")


def test_the_server_fixture_has_the_same_helpers(smssign_server: SmssignServer) -> None:
    account = smssign_server.create_account("shop")
    client = on_server(smssign_server, account)
    template_id = _ready(smssign_server, client)
    sign_up(client, str(account["legacy"]["sdkappid"]), template_id, "13800138000", "7788")
    latest = smssign_server.latest_message("13800138000", wait=5)
    assert latest is not None and latest["params"] == ["7788"]
    assert smssign_server.messages()[0]["id"] == latest["id"]
    assert smssign_server.set_message_status(latest["id"], "delivered")["status"] == "delivered"
    assert smssign_server.reply("13800138000", "好", account_id=account["id"])["text"] == "好"


def test_the_server_fixture_pushes_reports_and_replies(smssign_server: SmssignServer) -> None:
    reports = Receiver(body=b'{"result":0,"errmsg":"OK"}').start()
    replies = Receiver(body=b'{"result":0,"errmsg":"OK"}').start()
    try:
        account = smssign_server.create_account("pushed")
        shown = smssign_server.set_callbacks(account["id"], "tencent", reports.url, replies.url)
        assert shown["status_url"] == reports.url and shown["reply_url"] == replies.url
        client = on_server(smssign_server, account)
        template_id = _ready(smssign_server, client)
        app_id = str(account["legacy"]["sdkappid"])
        status = sign_up(client, app_id, template_id, "13800138000", "9911")
        wait_until(lambda: reports.received)
        latest = smssign_server.latest_message("13800138000")
        assert latest is not None
        smssign_server.set_message_status(latest["id"], "failed", "MK:0001")
        smssign_server.reply("13800138000", "好")
        pushed = wait_until(lambda: len(reports.received) >= 2 and reports.received)
        first, second = (json.loads(r.body)[0] for r in pushed[:2])
        assert (first["sid"], first["report_status"]) == (status.SerialNo, "SUCCESS")
        assert (second["report_status"], second["errmsg"]) == ("FAIL", "MK:0001")
        (reply,) = wait_until(lambda: replies.received)
        assert json.loads(reply.body)["text"] == "好"
    finally:
        reports.stop()
        replies.stop()


def test_the_server_fixture_signs_a_yunpian_reply_with_the_accounts_apikey(
    smssign_server: SmssignServer,
) -> None:
    replies = Receiver(body=b"SUCCESS").start()
    try:
        account = smssign_server.create_account("signed replies")
        smssign_server.set_callbacks(account["id"], "yunpian", replies.url, replies.url)
        smssign_server.reply("+8613900000009", "收到了，谢谢！", account_id=account["id"])
        (push,) = wait_until(lambda: replies.received)
    finally:
        replies.stop()
    item = yunpian_field(push, "sms_reply")
    assert item["text"] == "收到了，谢谢！"
    assert signed_by(item, account["yunpian"]["apikey"]) and not signed_by(item, "")
