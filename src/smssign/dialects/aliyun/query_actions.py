"""QuerySendDetails and QuerySendStatistics, each named after its API action (spec §4).

Both read the account's messages whatever dialect sent them, so a message sent through
another provider's API is found here too (its BizId is that dialect's message id).
Dates are `yyyyMMdd` days in China Standard Time. QuerySendDetails looks back 30 days, as
Alibaba keeps details; statistics count billed parts, as Alibaba bills them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from smssign.core.messages import Message, MessageStatus
from smssign.core.model import TemplateType
from smssign.core.ports import MessageFilter
from smssign.dialects.aliyun import views
from smssign.dialects.aliyun.errors import AliyunError
from smssign.dialects.aliyun.send_actions import mobile
from smssign.dialects.protocol import Call, Handler

DAY = 86400.0
DETAIL_DAYS = 30
LARGEST_PAGE = 50
SCAN_PAGE = 500
MOST_SCANNED = 100_000
"""Messages one query reads at most (newest first), so a huge inbox cannot stall it."""
DOMESTIC, INTERNATIONAL = 1, 2

SEND_STATUS = {MessageStatus.PENDING: 1, MessageStatus.FAILED: 2, MessageStatus.DELIVERED: 3}
"""SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered."""

TEMPLATE_TYPES: dict[int, Callable[[Message], bool]] = {
    0: lambda m: m.template_type is TemplateType.VERIFICATION,
    1: lambda m: m.template_type in (TemplateType.NOTIFICATION, TemplateType.NORMAL),
    2: lambda m: m.template_type is TemplateType.MARKETING,
    3: lambda m: not m.mobile.startswith("+86"),
    7: lambda m: False,  # digital (multimedia) messages: smssign sends none
}
"""QuerySendStatistics' TemplateType filter."""

_DATE = re.compile(r"[0-9]{8}")


def day_start(raw: str, name: str) -> float:
    """The first second of a `yyyyMMdd` day in China time."""
    text = raw.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        moment = datetime.strptime(text, "%Y%m%d").replace(tzinfo=views.CHINA)
    except ValueError as exc:
        raise AliyunError("isv.INVALID_PARAMETERS", f"{name}: yyyyMMdd") from exc
    return moment.timestamp()


def _day_of(at: float) -> str:
    return datetime.fromtimestamp(at, views.CHINA).strftime("%Y%m%d")


def _page(index: int, size: int) -> None:
    if index < 1 or not 1 <= size <= LARGEST_PAGE:
        raise AliyunError("isv.INVALID_PARAMETERS", f"pages from 1, 1 to {LARGEST_PAGE} a page")


async def _since(call: Call, where: MessageFilter, start: float) -> AsyncIterator[Message]:
    """The messages matching `where` sent at or after `start`, newest first."""
    repository = call.runtime.sending.repository
    offset = 0
    while offset < MOST_SCANNED:
        found, _ = await repository.message_page(where, limit=SCAN_PAGE, offset=offset)
        for message in found:
            if message.created_at < start:
                return
            yield message
        if len(found) < SCAN_PAGE:
            return
        offset += SCAN_PAGE


def detail(message: Message) -> dict[str, Any]:
    delivered = message.status is MessageStatus.DELIVERED
    return {
        "PhoneNum": views.shown_number(message.mobile),
        "SendStatus": SEND_STATUS[message.status],
        "ErrCode": "DELIVERED" if delivered else (message.error_code or ""),
        "TemplateCode": views.template_code(message.template_id) if message.template_id else "",
        "Content": message.text,
        "SendDate": views.date(message.created_at),
        "ReceiveDate": views.date(message.reported_at),
        "OutId": message.session,
    }


async def QuerySendDetails(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    number = mobile(values["PhoneNumber"])
    start = day_start(values["SendDate"], "SendDate")
    now = call.runtime.clock.now()
    if start < now - (DETAIL_DAYS + 1) * DAY:
        raise AliyunError("isv.INVALID_PARAMETERS", f"SendDate: within the last {DETAIL_DAYS} days")
    size: int = values["PageSize"]
    page: int = values["CurrentPage"]
    _page(page, size)
    end = start + DAY
    biz_id = values.get("BizId", "").strip()
    if biz_id:
        by_id = await call.runtime.sending.repository.messages_by_provider_id(
            call.account.id, biz_id
        )
        listed = [m for m in reversed(by_id) if m.mobile == number.e164]
    else:
        where = MessageFilter(mobile=number.e164, account_id=call.account.id)
        listed = [m async for m in _since(call, where, start)]
    matching = [m for m in listed if start <= m.created_at < end]
    shown_page = matching[(page - 1) * size : page * size]
    return {
        "TotalCount": len(matching),
        "SmsSendDetailDTOs": {"SmsSendDetailDTO": [detail(m) for m in shown_page]},
    }


async def QuerySendStatistics(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    globe: int = values["IsGlobe"]
    if globe not in (DOMESTIC, INTERNATIONAL):
        raise AliyunError("isv.INVALID_PARAMETERS", "IsGlobe: 1 domestic, 2 international")
    start = day_start(values["StartDate"], "StartDate")
    end = day_start(values["EndDate"], "EndDate") + DAY
    if end <= start:
        raise AliyunError("isv.INVALID_PARAMETERS", "EndDate before StartDate")
    index: int = values["PageIndex"]
    size: int = values["PageSize"]
    _page(index, size)
    kind = values.get("TemplateType")
    if kind is not None and kind not in TEMPLATE_TYPES:
        raise AliyunError("isv.INVALID_PARAMETERS", "TemplateType: 0, 1, 2, 3 or 7")
    sign = values.get("SignName")
    days: dict[str, dict[str, int]] = {}
    async for m in _since(call, MessageFilter(account_id=call.account.id), start):
        if m.created_at >= end or m.mobile.startswith("+86") != (globe == DOMESTIC):
            continue
        if (kind is not None and not TEMPLATE_TYPES[kind](m)) or (sign and m.sign != sign):
            continue
        row = days.setdefault(
            _day_of(m.created_at),
            {"success": 0, "fail": 0, "pending": 0},
        )
        status = {
            MessageStatus.DELIVERED: "success",
            MessageStatus.FAILED: "fail",
            MessageStatus.PENDING: "pending",
        }[m.status]
        row[status] += m.parts
    rows = [
        {
            "SendDate": day,
            "TotalCount": sum(counts.values()),
            "RespondedSuccessCount": counts["success"],
            "RespondedFailCount": counts["fail"],
            "NoRespondedCount": counts["pending"],
        }
        for day, counts in sorted(days.items())
    ]
    return {
        "Data": {
            "TotalSize": len(rows),
            "TargetList": rows[(index - 1) * size : index * size],
        }
    }


QUERY_HANDLERS: dict[str, Handler] = {
    "QuerySendDetails": QuerySendDetails,
    "QuerySendStatistics": QuerySendStatistics,
}
