"""The sending, pull and account actions of Yunpian v2 (`/v2/sms/*`, `/v2/user/get.json`).

Each handler turns the typed values (send_params.py) into the sending core's request and
the core's answer into Yunpian's reply (spec §3.2–3.3, §4, §5); every check of numbers,
signatures, templates, frequency and balance is the core's. Two rules are Yunpian's
own: free text is matched to an approved template (`sending.match_text`), and a template
sent by id takes its signature from the template (Yunpian writes it into `tpl_content`).

Replies other than single sends' have no `code`: a handler returns them under BODY and
the protocol writes that value as the whole body (an object or a bare array).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from smssign.core import errors as core
from smssign.core.messages import Params
from smssign.core.model import Status, Template
from smssign.core.sending import NumberResult, SendRequest, SendResult, TextMatch
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.yunpian.errors import YunpianError
from smssign.dialects.yunpian.reports import local_time, reply_item, status_report
from smssign.dialects.yunpian.send_errors import (
    COUNT_MISMATCH,
    NO_TEMPLATE,
    SENT,
    SIGN_FORMAT,
    refusal,
    request_refusal,
    send_error,
)
from smssign.dialects.yunpian.send_params import DEFAULT_PAGE_SIZE, MOST_MOBILES

DIALECT = "yunpian"

ROUTES = {
    "sms/single_send.json": "single_send",
    "sms/batch_send.json": "batch_send",
    "sms/multi_send.json": "multi_send",
    "sms/tpl_single_send.json": "tpl_single_send",
    "sms/tpl_batch_send.json": "tpl_batch_send",
    "sms/pull_status.json": "pull_status",
    "sms/pull_reply.json": "pull_reply",
    "user/get.json": "user_get",
}
"""Path below `/v2/` -> handler name."""

BODY = "body"
"""The payload key of a reply written as the whole body."""

UNIT = "RMB"
PRICE = Decimal("0.05")
"""RMB per billed part: the fee of a one-part message in Yunpian's examples. The core keeps
the balance in parts; this dialect shows parts times PRICE."""


_SIGNED = re.compile(r"【([^【】]+)】")


def body(payload: dict[str, Any]) -> Any:
    """The reply body of a handler's payload: BODY's value, or code 0 with the members."""
    if BODY in payload:
        return payload[BODY]
    return {"code": 0, "msg": "OK", **payload}


def new_sid() -> str:
    """A message id shaped like Yunpian's: an 11-digit number (an int64 on the wire)."""
    return str(10**10 + secrets.randbelow(9 * 10**10))


def money(parts: int) -> Decimal:
    return PRICE * parts


# --- sending ----------------------------------------------------------------------------


async def _matched(call: Call, text: str) -> TextMatch:
    """The approved template free text was written from (16, 15 or 5 if none)."""
    signed = _SIGNED.match(text)
    if signed is None:
        raise send_error(SIGN_FORMAT, "短信内容须以【签名】开头")
    try:
        return await call.runtime.sending.match_text(call.account, text)
    except core.TemplateNotApproved as exc:
        # The text names no template: one under review or rejected is simply no match.
        raise send_error(NO_TEMPLATE, "未找到审核通过的匹配模板") from exc
    except core.SendRefused as exc:
        raise refusal(exc, sign=signed.group(1)) from exc


async def _template_sign(call: Call, template: Template | None) -> str:
    """The signature a template sent by id goes out under: the 【name】 its name or remark
    starts with, a name that is one of the account's approved signatures, or else the
    account's first approved signature of the template's scope ("" if none: 15)."""
    if template is None:
        return ""
    for text in (template.name, template.remark):
        found = _SIGNED.match(text or "")
        if found is not None:
            return found.group(1)
    listed, _ = await call.runtime.signatures.page(
        call.account, international=template.international, count=False
    )
    approved = sorted((s for s in listed if s.status is Status.APPROVED), key=lambda s: s.id)
    for signature in approved:
        if signature.name == template.name:
            return signature.name
    return approved[0].name if approved else ""


async def _send(
    call: Call,
    values: dict[str, Any],
    mobiles: Sequence[str],
    template_id: int,
    sign: str,
    params: Params,
    *,
    most: int,
) -> SendResult:
    """The core's answer for one template; raises the 400 error for a refused request."""
    request = SendRequest(
        dialect=DIALECT,
        mobiles=list(mobiles),
        template_id=template_id,
        sign=sign,
        params=params,
        provider_ids=lambda _position: new_sid(),
        most_numbers=most,
        mixed_scope=False,
        session=values.get("uid", ""),
        extend=values.get("extend", ""),
        callback_url=values.get("callback_url") or None,
    )
    try:
        result = await call.runtime.sending.send(call.account, request)
    except core.SendRequestInvalid as exc:
        raise request_refusal(exc) from exc
    if result.request_error is not None:
        raise refusal(result.request_error, sign=sign)
    return result


def _item(result: NumberResult, raw: str, sign: str) -> dict[str, Any]:
    """One number's reply: single_send's shape, also each `data[]` item of a batch."""
    if result.message is None:
        assert result.error is not None
        return _failed(refusal(result.error, sign=sign, mobile=raw), raw)
    message = result.message
    return {
        "code": 0,
        "msg": SENT,
        "count": message.parts,
        "fee": float(money(message.fee)),
        "unit": UNIT,
        "mobile": raw,
        "sid": int(message.provider_message_id),
    }


def _single(result: SendResult, raw: str, sign: str) -> dict[str, Any]:
    (only,) = result.results
    if only.error is not None:
        raise refusal(only.error, sign=sign, mobile=raw)
    return _item(only, raw, sign)


def _batch(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    fee = sum((money(item["count"]) for item in items if item["code"] == 0), Decimal(0))
    return {
        BODY: {
            "total_count": sum(item["count"] for item in items),
            "total_fee": f"{fee:.4f}",
            "unit": UNIT,
            "data": list(items),
        }
    }


async def single_send(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    match = await _matched(call, values["text"])
    mobiles: list[str] = values["mobile"]
    result = await _send(call, values, mobiles, match.template.id, match.sign, match.params, most=1)
    return _single(result, mobiles[0], match.sign)


async def batch_send(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    match = await _matched(call, values["text"])
    mobiles: list[str] = values["mobile"]
    result = await _send(
        call, values, mobiles, match.template.id, match.sign, match.params, most=MOST_MOBILES
    )
    return _batch([_item(r, mobiles[r.position], match.sign) for r in result.results])


async def multi_send(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """One text per number. Every text is matched before anything is sent, so a text
    that matches no template refuses the whole request; numbers with the same text go
    out in one request to the core (one transaction)."""
    mobiles: list[str] = values["mobile"]
    texts: list[str] = values["text"]
    if len(mobiles) != len(texts):
        raise send_error(COUNT_MISMATCH, f"{len(mobiles)} 个手机号，{len(texts)} 条内容")
    if len(mobiles) > MOST_MOBILES:
        raise request_refusal(core.TooManyNumbers(MOST_MOBILES))
    matches: dict[str, TextMatch] = {}
    groups: dict[str, list[int]] = {}
    for position, text in enumerate(texts):
        if text not in matches:
            matches[text] = await _matched(call, text)
        groups.setdefault(text, []).append(position)
    items: list[dict[str, Any]] = [{} for _ in mobiles]
    for text, positions in groups.items():
        match = matches[text]
        group = [mobiles[p] for p in positions]
        try:
            result = await _send(
                call, values, group, match.template.id, match.sign, match.params,
                most=MOST_MOBILES,
            )  # fmt: skip
        except YunpianError as error:
            # Refused as a whole (after the earlier texts were sent): its numbers carry
            # the refusal, as a batch's refused numbers do.
            for p in positions:
                items[p] = _failed(error, mobiles[p])
            continue
        for number in result.results:
            items[positions[number.position]] = _item(number, group[number.position], "")
    return _batch(items)


def _failed(error: YunpianError, raw: str) -> dict[str, Any]:
    return {"code": error.code, "msg": error.msg, "count": 0, "fee": 0, "unit": UNIT,
            "mobile": raw, "sid": 0, "detail": error.detail}  # fmt: skip


async def _template(call: Call, template_id: int) -> Template | None:
    found = await call.runtime.templates.describe(call.account, [template_id])
    return found[0] if found else None


async def tpl_single_send(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    template_id: int = values["tpl_id"]
    sign = await _template_sign(call, await _template(call, template_id))
    mobiles: list[str] = values["mobile"]
    result = await _send(call, values, mobiles, template_id, sign, values["tpl_value"], most=1)
    return _single(result, mobiles[0], sign)


async def tpl_batch_send(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    template_id: int = values["tpl_id"]
    sign = await _template_sign(call, await _template(call, template_id))
    mobiles: list[str] = values["mobile"]
    result = await _send(
        call, values, mobiles, template_id, sign, values["tpl_value"], most=MOST_MOBILES
    )
    return _batch([_item(r, mobiles[r.position], sign) for r in result.results])


# --- pulls and the account --------------------------------------------------------------


async def pull_status(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    size: int = values.get("page_size", DEFAULT_PAGE_SIZE)
    reported = await call.runtime.sending.pull_reports(call.account.id, [DIALECT], size)
    return {BODY: [status_report(m) for m in reported]}


async def pull_reply(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    size: int = values.get("page_size", DEFAULT_PAGE_SIZE)
    replies = await call.runtime.sending.pull_replies(call.account.id, [DIALECT], size)
    return {BODY: [reply_item(r, values.get("apikey", "")) for r in replies]}


async def user_get(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """The account as Yunpian's user object (spec §5); `balance` in RMB."""
    account = call.account
    settings = await call.runtime.sending.repository.sending_settings(account.id)
    balance = settings.balance if settings is not None else 0
    return {
        BODY: {
            "nick": account.name,
            "gmt_created": local_time(account.created_at),
            "mobile": "",
            "email": "",
            "ip_whitelist": ",".join(account.ip_allow) or None,
            "api_version": "v2",
            "balance": float(money(balance)),
            "alarm_balance": 0,
            "emergency_contact": "",
            "emergency_mobile": "",
        }
    }


SEND_HANDLERS: dict[str, Handler] = {
    "single_send": single_send,
    "batch_send": batch_send,
    "multi_send": multi_send,
    "tpl_single_send": tpl_single_send,
    "tpl_batch_send": tpl_batch_send,
    "pull_status": pull_status,
    "pull_reply": pull_reply,
    "user_get": user_get,
}
