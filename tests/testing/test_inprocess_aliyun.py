"""The in-process mock answers Alibaba Cloud's dysmsapi host: the Tea client on its default
endpoint (https://dysmsapi.aliyuncs.com), in both signature styles, and `smssign_mock`,
sending included; and `smssign_server` lists what Alibaba sent in `/_smssign/messages`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.models import Config

from smssign.dialects.aliyun import views
from smssign.testing import SmsMock, is_provider_host, mock
from smssign.testing.server import SmssignServer
from tests.samples import PNG_B64

CHINA = timezone(timedelta(hours=8))


def tea(account: dict[str, Any], *, v2: bool = False, endpoint: str | None = None) -> Client:
    config = Config(
        access_key_id=account["aliyun"]["access_key_id"],
        access_key_secret=account["aliyun"]["access_key_secret"],
    )
    if endpoint:
        config.endpoint = endpoint
    else:
        config.region_id = "cn-hangzhou"  # the SDK maps it to dysmsapi.aliyuncs.com
    if v2:
        config.signature_algorithm = "v2"
    return Client(config)


def add(client: Client, name: str) -> str:
    request = models.AddSmsSignRequest(
        sign_name=name,
        sign_source=1,
        remark="r",
        sign_file_list=[
            models.AddSmsSignRequestSignFileList(file_contents=PNG_B64, file_suffix="png")
        ],
    )
    code: str = client.add_sms_sign(request).body.code
    return code


@pytest.mark.parametrize("v2", [False, True])
def test_tea_client_on_its_default_endpoint(v2: bool) -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        client = tea(account, v2=v2)
        assert add(client, "阿里云") == "OK"
        [signature] = sms.state()["signatures"]
        sms.approve(signature["id"])
        got = client.get_sms_sign(models.GetSmsSignRequest(sign_name="阿里云")).body
        assert got.sign_status == 1


def test_regional_endpoint_and_hosts() -> None:
    assert is_provider_host("dysmsapi.aliyuncs.com")
    assert is_provider_host("dysmsapi.ap-southeast-1.aliyuncs.com")
    assert is_provider_host("dysmsapi-xman.cn-hongkong.aliyuncs.com")
    assert not is_provider_host("ecs.aliyuncs.com")
    assert not is_provider_host("dysmsapi.aliyuncs.com.example.com")
    with mock() as sms:
        account = sms.create_account("acme")
        client = tea(account, endpoint="dysmsapi.ap-southeast-1.aliyuncs.com")
        assert add(client, "阿里云") == "OK"


def test_the_fixture_covers_alibaba(smssign_mock: SmsMock) -> None:
    account = smssign_mock.create_account("acme")
    client = tea(account)
    assert add(client, "阿里云") == "OK"
    listed = client.query_sms_sign_list(models.QuerySmsSignListRequest()).body
    assert [s.sign_name for s in listed.sms_sign_list] == ["阿里云"]


def test_legacy_sdk_through_its_own_copy_of_requests() -> None:
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkdysmsapi.request.v20170525.QuerySmsSignRequest import QuerySmsSignRequest

    with mock() as sms:
        account = sms.create_account("acme")
        assert add(tea(account), "阿里云") == "OK"
        client = AcsClient(
            account["aliyun"]["access_key_id"],
            account["aliyun"]["access_key_secret"],
            "cn-hangzhou",
            auto_retry=False,
        )
        request = QuerySmsSignRequest()
        request.set_SignName("阿里云")
        reply = json.loads(client.do_action_with_exception(request))
        assert (reply["Code"], reply["SignStatus"]) == ("OK", 0)


def _can_send(kit: SmsMock | SmssignServer, client: Client) -> str:
    """An approved signature 阿里云 and verification template; the TemplateCode."""
    assert add(client, "阿里云") == "OK"
    [signature] = kit.state()["signatures"]
    kit.approve(signature["id"])
    added = client.add_sms_template(
        models.AddSmsTemplateRequest(
            template_type=0, template_name="注册码", template_content="您的注册码是${code}。"
        )
    ).body
    template_id = views.template_id(added.template_code)
    assert template_id is not None
    kit.approve_template(template_id)
    code: str = added.template_code
    return code


def _sign_up(client: Client, template_code: str, mobile: str, code: str) -> str:
    """What an application's sign-up flow does with Alibaba: send the code; the BizId."""
    request = models.SendSmsRequest(
        phone_numbers=mobile,
        sign_name="阿里云",
        template_code=template_code,
        template_param=json.dumps({"code": code}),
        out_id="signup-1",
    )
    body = client.send_sms(request).body
    assert body.code == "OK", body
    biz_id: str = body.biz_id
    return biz_id


def test_the_mock_reads_back_what_alibaba_sent(smssign_mock: SmsMock) -> None:
    account = smssign_mock.create_account("shop")
    client = tea(account)
    template_code = _can_send(smssign_mock, client)
    biz_id = _sign_up(client, template_code, "13800138000", "482913")
    latest = smssign_mock.latest_message("13800138000")
    assert latest is not None
    assert (latest["dialect"], latest["params"]) == ("aliyun", {"code": "482913"})
    assert latest["text"] == "【阿里云】您的注册码是482913。"
    assert (latest["provider_message_id"], latest["status"]) == (biz_id, "delivered")
    assert latest["template_id"] == str(views.template_id(template_code))

    smssign_mock.set_message_status(latest["id"], "failed", "MK:0001")
    details = client.query_send_details(
        models.QuerySendDetailsRequest(
            phone_number="13800138000",
            send_date=datetime.now(CHINA).strftime("%Y%m%d"),
            page_size=10,
            current_page=1,
            biz_id=biz_id,
        )
    ).body
    (dto,) = details.sms_send_detail_dtos.sms_send_detail_dto
    assert (dto.send_status, dto.err_code, dto.out_id) == (2, "MK:0001", "signup-1")
    reply = smssign_mock.reply("13800138000", "TD")
    assert (reply["account_id"], reply["sign"]) == (account["id"], "阿里云")


def test_the_server_fixture_lists_alibaba_messages(smssign_server: SmssignServer) -> None:
    account = smssign_server.create_account("shop")
    client = Client(
        Config(
            access_key_id=account["aliyun"]["access_key_id"],
            access_key_secret=account["aliyun"]["access_key_secret"],
            endpoint=smssign_server.endpoint,
            protocol="http",
        )
    )
    template_code = _can_send(smssign_server, client)
    biz_id = _sign_up(client, template_code, "+8613800138000", "7788")
    listed = httpx.get(
        f"{smssign_server.url}/_smssign/messages", params={"dialect": "aliyun"}
    ).json()
    assert listed["total"] == 1
    (message,) = listed["messages"]
    assert (message["dialect"], message["mobile"]) == ("aliyun", "+8613800138000")
    assert (message["provider_message_id"], message["params"]) == (biz_id, {"code": "7788"})
    assert smssign_server.latest_message("13800138000", wait=5) == message


def test_the_legacy_sdk_sends_through_the_mock() -> None:
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkdysmsapi.request.v20170525.SendSmsRequest import SendSmsRequest

    with mock() as sms:
        account = sms.create_account("acme")
        template_code = _can_send(sms, tea(account))
        client = AcsClient(
            account["aliyun"]["access_key_id"],
            account["aliyun"]["access_key_secret"],
            "cn-hangzhou",
            auto_retry=False,
        )
        request = SendSmsRequest()
        request.set_PhoneNumbers("13800138000")
        request.set_SignName("阿里云")
        request.set_TemplateCode(template_code)
        request.set_TemplateParam(json.dumps({"code": "9090"}))
        reply = json.loads(client.do_action_with_exception(request))
        assert reply["Code"] == "OK"
        latest = sms.latest_message("13800138000")
        assert latest is not None
        assert (latest["provider_message_id"], latest["params"]) == (
            reply["BizId"],
            {"code": "9090"},
        )
