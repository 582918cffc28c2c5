"""Yunpian's status reports and replies, pulled (`pull_status`, `pull_reply`) and pushed.

Pushes are form posts (spec §4.2–4.3): a batch of status reports is the single field
`sms_status` holding the JSON array, url-encoded once; a reply is the field `sms_reply`
holding one JSON object. The receiver answers `SUCCESS` or `0`; anything else is a
failure. A send's own `callback_url` wins over the account's status URL (the core keeps it
with the message). Numbers lose their +86; times are Beijing wall-clock times.

A pushed reply's `_sign` is made with the account's current apikey, whose sealed copy
the store opens for it (`signed_with`); an apikey issued before smssign kept copies has
only its hash, and its replies are signed as with an empty apikey until it is rotated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import orjson

from smssign.core.messages import Message, MessageStatus, Reply
from smssign.core.reports import ReportFormat
from smssign.dialects.yunpian.auth import CREDENTIAL

BEIJING = timezone(timedelta(hours=8))
REPORT_DETAIL = {MessageStatus.DELIVERED: "接收成功", MessageStatus.FAILED: "发送失败"}
RECEIVED = frozenset({"SUCCESS", "0"})
"""The receiver's answers that mean the push arrived."""


def local_time(at: float | None) -> str:
    """`yyyy-MM-dd HH:mm:ss` in Beijing time, as Yunpian's reports write times."""
    moment = datetime.fromtimestamp(int(at or 0), BEIJING)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def shown_number(e164: str) -> str:
    """A number as Yunpian's reports write it: mainland ones without +86."""
    return e164[3:] if e164.startswith("+86") else e164


def status_report(message: Message) -> dict[str, Any]:
    """One status report (spec §4.1), pulled and pushed alike."""
    delivered = message.status is MessageStatus.DELIVERED
    sid = message.provider_message_id
    return {
        "sid": int(sid) if sid.isdigit() else sid,
        "uid": message.session or None,
        "user_receive_time": local_time(message.reported_at),
        "error_msg": "" if delivered else (message.error_code or "UNDELIV"),
        "mobile": shown_number(message.mobile),
        "report_status": "SUCCESS" if delivered else "FAIL",
        "error_detail": REPORT_DETAIL.get(message.status, "发送失败"),
    }


def reply_item(reply: Reply, apikey: str) -> dict[str, Any]:
    """One reply (spec §4.3), with `_sign`: the MD5 of the other values in the order of
    their keys, joined with commas, then a comma and the apikey."""
    item = {
        "id": str(reply.id),
        "mobile": shown_number(reply.mobile),
        "text": reply.text,
        "reply_time": local_time(reply.created_at),
        "extend": reply.extend,
        "base_extend": "",
    }
    item["_sign"] = reply_sign(item, apikey)
    return item


def reply_sign(item: Mapping[str, Any], apikey: str) -> str:
    """Yunpian's reply `_sign` over every other member of `item`."""
    values = [str(item[key]) for key in sorted(item) if key != "_sign"]
    return hashlib.md5(",".join([*values, apikey]).encode(), usedforsecurity=False).hexdigest()


def _field(name: str, value: Any) -> str:
    # Encoded once, spaces as %20 like the documented example; any form parser reads it.
    return f"{name}={quote(orjson.dumps(value).decode(), safe='')}"


def _reports_body(items: Sequence[Any]) -> str:
    return _field("sms_status", list(items))


def _reply_body(reply: Reply, apikey: str) -> str:
    return _field("sms_reply", reply_item(reply, apikey))


def accepts(status: int, answer: str) -> bool:
    """The body `SUCCESS` or `0` (HTTP 2xx); anything else is tried again."""
    return 200 <= status < 300 and answer.strip() in RECEIVED


REPORTS = ReportFormat(
    name="yunpian",
    title="Yunpian v2",
    content_type="application/x-www-form-urlencoded;charset=utf-8",
    report=status_report,
    reports_body=_reports_body,
    reply_body=_reply_body,
    accepts=accepts,
    signed_with=CREDENTIAL,
)
