"""Tencent's status-report and reply objects, pulled (`pullstatus`) and pushed (callbacks).

API 3.0 and legacy accounts share one callback format (spec v3 §5, legacy §5.3–5.4):
status reports POSTed as a JSON array of objects whose members are all strings, a reply as
one JSON object, and the receiver answers HTTP 200 with `{"result": 0, "errmsg": "OK"}`.
Both dialects register `REPORTS` under the name `tencent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from smssign.core import numbers
from smssign.core.messages import Message, MessageStatus, Reply
from smssign.core.reports import ReportFormat, json_answer

CHINA = timezone(timedelta(hours=8))
"""Report times are wall-clock times in Beijing."""


def _clock(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def report(message: Message) -> dict[str, str]:
    """The status report object (legacy spec §5.3): every member a string."""
    number = numbers.Mobile(message.mobile)
    delivered = message.status is MessageStatus.DELIVERED
    return {
        "user_receive_time": _clock(message.reported_at),
        "nationcode": number.country_code,
        "mobile": number.national,
        "report_status": "SUCCESS" if delivered else "FAIL",
        "errmsg": "DELIVRD" if delivered else (message.error_code or "UNDELIV"),
        "description": "用户短信送达成功" if delivered else "用户短信未送达",
        "sid": message.provider_message_id,
    }


def reply(answer: Reply) -> dict[str, Any]:
    """The reply object (legacy spec §5.4): `time` a number, the rest strings."""
    number = numbers.Mobile(answer.mobile)
    return {
        "extend": answer.extend,
        "mobile": number.national,
        "nationcode": number.country_code,
        "sign": answer.sign,
        "text": answer.text,
        "time": int(answer.created_at),
    }


def _reports_body(items: Sequence[Any]) -> str:
    return orjson.dumps(list(items)).decode()


def _reply_body(answer: Reply, key: str) -> str:
    # Tencent's replies carry no signature: no key is asked for, "" comes.
    return orjson.dumps(reply(answer)).decode()


def accepts(status: int, answer: str) -> bool:
    """HTTP 200 and a JSON object whose `result` is 0; anything else is tried again."""
    data = json_answer(status, answer)
    result = None if data is None else data.get("result")
    return type(result) is int and result == 0


REPORTS = ReportFormat(
    name="tencent",
    title="Tencent Cloud, API 3.0 and legacy SMS v5 (one SMS application)",
    content_type="application/json",
    report=report,
    reports_body=_reports_body,
    reply_body=_reply_body,
    accepts=accepts,
)
