"""Sending through alibabacloud_dysmsapi20170525 (ACS3 and v2) and aliyun-python-sdk-dysmsapi
over HTTP: SendSms, SendBatchSms, QuerySendDetails and QuerySendStatistics, read back."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkdysmsapi.request.v20170525 import (
    QuerySendDetailsRequest,
    QuerySendStatisticsRequest,
    SendBatchSmsRequest,
    SendSmsRequest,
)

from smssign.core.ports import MessageFilter
from tests.conftest import Server
from tests.dialects.aliyun.clients import legacy, legacy_call, tea
from tests.dialects.aliyun.sending import add_sign, ready, reported, today

STYLES = ("acs3", "v2")
BIZ_ID = re.compile(r"[0-9]{18}\^0")


def details(c: Any, phone: str, biz_id: str | None = None, **page: Any) -> Any:
    return reported(c, phone, biz_id, size=page.get("size", 10), page=page.get("page", 1))


def inbox(server: Server, account: dict[str, Any]) -> list[Any]:
    async def read(rt: Any) -> list[Any]:
        found, _ = await rt.sending.messages(MessageFilter(account_id=account["id"]), limit=100)
        return list(found)

    return server.run(read)


@pytest.mark.parametrize("style", STYLES)
def test_send_sms_to_two_numbers_and_read_the_details(
    server: Server, account: dict[str, Any], style: str
) -> None:
    c = tea(server, account, v2=style == "v2")
    codes = ready(server, c, account)
    sent = c.send_sms(
        m.SendSmsRequest(
            phone_numbers="13800138000,+8613800138001,008613800138000",
            sign_name="阿里云",
            template_code=codes["verification"],
            template_param=json.dumps({"code": "1234", "unused": "x"}),
            out_id="order-1",
        )
    ).body
    assert (sent.code, sent.message) == ("OK", "OK")
    assert BIZ_ID.fullmatch(sent.biz_id) and sent.request_id

    messages = inbox(server, account)
    assert sorted(msg.mobile for msg in messages) == ["+8613800138000", "+8613800138001"]
    assert {(msg.dialect, msg.provider_message_id, msg.session) for msg in messages} == {
        ("aliyun", sent.biz_id, "order-1")
    }
    got = details(c, "13800138000", sent.biz_id)
    assert (got.code, got.total_count) == ("OK", 1)
    (dto,) = got.sms_send_detail_dtos.sms_send_detail_dto
    assert (dto.phone_num, dto.send_status, dto.err_code) == ("13800138000", 3, "DELIVERED")
    assert dto.content == "【阿里云】您的验证码为1234，5分钟内有效。"
    assert (dto.template_code, dto.out_id) == (codes["verification"], "order-1")
    assert len(dto.send_date) == 19 and len(dto.receive_date) == 19
    assert details(c, "+8613800138001").total_count == 1
    assert details(c, "13800138002").sms_send_detail_dtos.sms_send_detail_dto == []


@pytest.mark.parametrize("style", STYLES)
def test_send_batch_sms_gives_each_number_its_signature_and_values(
    server: Server, account: dict[str, Any], style: str
) -> None:
    c = tea(server, account, v2=style == "v2")
    codes = ready(server, c, account)
    add_sign(server, c, account, "阿里通信")
    sent = c.send_batch_sms(
        m.SendBatchSmsRequest(
            phone_number_json=json.dumps(["13800138000", "13800138001", "13800138002"]),
            sign_name_json=json.dumps(["阿里云", "阿里通信", "阿里云"]),
            template_code=codes["notice"],
            template_param_json=json.dumps(
                [
                    {"name": "张三", "order": "A1"},
                    {"name": "李四", "order": "B2"},
                    {"name": "张三", "order": "A1"},
                ]
            ),
            out_id="batch-7",
        )
    ).body
    assert sent.code == "OK" and BIZ_ID.fullmatch(sent.biz_id)
    texts = {
        msg.mobile: (msg.text, msg.provider_message_id, msg.session)
        for msg in inbox(server, account)
    }
    assert texts == {
        "+8613800138000": ("【阿里云】尊敬的张三，您的订单A1已发货。", sent.biz_id, "batch-7"),
        "+8613800138001": ("【阿里通信】尊敬的李四，您的订单B2已发货。", sent.biz_id, "batch-7"),
        "+8613800138002": ("【阿里云】尊敬的张三，您的订单A1已发货。", sent.biz_id, "batch-7"),
    }
    dto = details(c, "13800138001", sent.biz_id).sms_send_detail_dtos.sms_send_detail_dto[0]
    assert dto.content == "【阿里通信】尊敬的李四，您的订单B2已发货。"


def test_missing_phone_numbers_is_the_gateway_400(server: Server, account: dict[str, Any]) -> None:
    c = tea(server, account)
    codes = ready(server, c, account)
    with pytest.raises(ClientException) as caught:
        c.send_sms(m.SendSmsRequest(sign_name="阿里云", template_code=codes["verification"]))
    assert (caught.value.code, caught.value.status_code) == ("MissingPhoneNumbers", 400)


def test_details_page_and_statistics(server: Server, account: dict[str, Any]) -> None:
    c = tea(server, account)
    codes = ready(server, c, account)
    for value in ("1111", "2222", "3333"):
        request = m.SendSmsRequest(
            phone_numbers="13900000001" if value == "3333" else "13800138000",
            sign_name="阿里云",
            template_code=codes["verification"],
            template_param=json.dumps({"code": value}),
        )
        assert c.send_sms(request).body.code == "OK"
    first = details(c, "13800138000", size=1, page=1)
    second = details(c, "13800138000", size=1, page=2)
    assert (first.total_count, second.total_count) == (2, 2)
    contents = [
        page.sms_send_detail_dtos.sms_send_detail_dto[0].content for page in (first, second)
    ]
    assert contents == [
        "【阿里云】您的验证码为2222，5分钟内有效。",
        "【阿里云】您的验证码为1111，5分钟内有效。",
    ]
    (failed,) = details(c, "13900000001").sms_send_detail_dtos.sms_send_detail_dto
    assert (failed.send_status, failed.err_code) == (2, "UNDELIV")

    stats = c.query_send_statistics(
        m.QuerySendStatisticsRequest(
            is_globe=1, start_date=today(), end_date=today(), page_index=1, page_size=10
        )
    ).body
    assert stats.code == "OK"
    assert stats.data.total_size == 1
    (row,) = stats.data.target_list
    assert (row.send_date, row.total_count) == (today(), 3)
    assert (row.responded_success_count, row.responded_fail_count, row.no_responded_count) == (
        2,
        1,
        0,
    )
    abroad = c.query_send_statistics(
        m.QuerySendStatisticsRequest(
            is_globe=2, start_date=today(), end_date=today(), page_index=1, page_size=10
        )
    ).body
    assert abroad.data.total_size == 0
    notices = c.query_send_statistics(
        m.QuerySendStatisticsRequest(
            is_globe=1,
            start_date=today(),
            end_date=today(),
            page_index=1,
            page_size=10,
            template_type=1,
        )
    ).body
    assert notices.data.total_size == 0


def test_legacy_sdk_sends_and_queries(server: Server, account: dict[str, Any]) -> None:
    c = tea(server, account)
    codes = ready(server, c, account)
    client = legacy(server, account)
    send = SendSmsRequest.SendSmsRequest()
    send.set_PhoneNumbers("13800138000")
    send.set_SignName("阿里云")
    send.set_TemplateCode(codes["verification"])
    send.set_TemplateParam(json.dumps({"code": "5678"}))
    send.set_OutId("legacy-1")
    sent = legacy_call(client, send)
    assert sent["Code"] == "OK" and BIZ_ID.fullmatch(sent["BizId"])

    batch = SendBatchSmsRequest.SendBatchSmsRequest()
    batch.set_PhoneNumberJson(json.dumps(["13800138001"]))
    batch.set_SignNameJson(json.dumps(["阿里云"]))
    batch.set_TemplateCode(codes["notice"])
    batch.set_TemplateParamJson(json.dumps([{"name": "王五", "order": "C3"}]))
    assert legacy_call(client, batch)["Code"] == "OK"

    reported(c, "13800138000", sent["BizId"])  # delivery has decided it
    query = QuerySendDetailsRequest.QuerySendDetailsRequest()
    query.set_PhoneNumber("13800138000")
    query.set_SendDate(today())
    query.set_PageSize(10)
    query.set_CurrentPage(1)
    query.set_BizId(sent["BizId"])
    got = legacy_call(client, query)
    (dto,) = got["SmsSendDetailDTOs"]["SmsSendDetailDTO"]
    assert (dto["Content"], dto["OutId"], dto["SendStatus"]) == (
        "【阿里云】您的验证码为5678，5分钟内有效。",
        "legacy-1",
        3,
    )

    stats = QuerySendStatisticsRequest.QuerySendStatisticsRequest()
    stats.set_IsGlobe(1)
    stats.set_StartDate(today())
    stats.set_EndDate(today())
    stats.set_PageIndex(1)
    stats.set_PageSize(10)
    counted = legacy_call(client, stats)
    assert counted["Data"]["TargetList"][0]["TotalCount"] == 2
