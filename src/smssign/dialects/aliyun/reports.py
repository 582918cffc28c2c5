"""Alibaba's SmsReport and SmsUp HTTP batch pushes (templates-sending spec §5.1–5.2).

Both are `POST` with a JSON array in UTF-8: SmsReport several receipts of the account's
sends (single and batch mixed, at most 100), SmsUp one reply per push here. Numbers are
as Alibaba writes them (mainland 11 digits, others country code and number), times
`yyyy-MM-dd HH:mm:ss` in China time, `sms_size` a string. The receiver answers HTTP 200
with `{"code":0,"msg":"接收成功"}`; Alibaba checks only that `code` is a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from smssign.core.messages import Message, MessageStatus, Reply
from smssign.core.reports import ReportFormat, json_answer
from smssign.dialects.aliyun import views

DELIVERED = "DELIVERED"
RECEIVED_TEXT = {MessageStatus.DELIVERED: "用户接收成功", MessageStatus.FAILED: "用户接收失败"}


def report(message: Message) -> dict[str, Any]:
    """One SmsReport receipt."""
    delivered = message.status is MessageStatus.DELIVERED
    return {
        "phone_number": views.shown_number(message.mobile),
        "send_time": views.date(message.created_at),
        "report_time": views.date(message.reported_at or message.created_at),
        "success": delivered,
        "err_code": DELIVERED if delivered else (message.error_code or "UNDELIV"),
        "err_msg": RECEIVED_TEXT.get(message.status, "用户接收失败"),
        "sms_size": str(message.parts),
        "biz_id": message.provider_message_id,
        "out_id": message.session,
    }


def reply(answer: Reply) -> dict[str, Any]:
    """One SmsUp message; `dest_code` is the extension code the reply was sent to."""
    return {
        "phone_number": views.shown_number(answer.mobile),
        "content": answer.text,
        "send_time": views.date(answer.created_at),
        "dest_code": answer.extend,
        "sequence_id": answer.id,
        "sign_name": answer.sign,
    }


def _reports_body(items: Sequence[Any]) -> str:
    return orjson.dumps(list(items)).decode()


def _reply_body(answer: Reply, key: str) -> str:
    # Alibaba's replies carry no signature: no key is asked for, "" comes.
    return orjson.dumps([reply(answer)]).decode()


def accepts(status: int, answer: str) -> bool:
    """HTTP 200 and a JSON object whose `code` is a number; anything else is retried."""
    data = json_answer(status, answer)
    return data is not None and type(data.get("code")) in (int, float)


REPORTS = ReportFormat(
    name="aliyun",
    title="Alibaba Cloud dysmsapi (SmsReport, SmsUp)",
    content_type="application/json",
    report=report,
    reports_body=_reports_body,
    reply_body=_reply_body,
    accepts=accepts,
)
