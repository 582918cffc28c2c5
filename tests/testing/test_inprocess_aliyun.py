"""The in-process mock answers Alibaba Cloud's dysmsapi host: the Tea client on its default
endpoint (https://dysmsapi.aliyuncs.com), in both signature styles, and `smssign_mock`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.models import Config

from smssign.testing import SmsMock, is_provider_host, mock
from tests.samples import PNG_B64


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
