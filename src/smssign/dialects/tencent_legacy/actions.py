"""The four signature actions, each named after its path: typed body values in, reply members
out. The template actions are in template_actions.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from smssign.core import rules
from smssign.core.model import Draft, Image, Revision, Signature, Status
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.tencent_legacy.errors import BAD_REQUEST, LegacyError
from smssign.dialects.tencent_legacy.params import Page
from smssign.dialects.tencent_legacy.provider import NAME
from smssign.dialects.tencent_legacy.template_actions import TEMPLATE_HANDLERS

DIALECT = "tencent_legacy"

REQUIRES_ENTERPRISE = frozenset({"add_sign", "mod_sign", "add_template", "mod_template"})
"""Individually certified accounts may not apply through the API (console only); they may
still read and delete what they have."""

STATUS_NUMBERS = {
    Status.APPROVED: 0,
    Status.PENDING: 1,
    Status.FILING: 1,
    Status.REJECTED: 2,
}
"""Our status -> `data.status`. The legacy API knows no filing state; a signature being
filed is not usable yet, so it reads as pending review."""

CHINA = timezone(timedelta(hours=8))
"""`apply_time`/`reply_time` are wall-clock times in Beijing, as the service showed them."""

_DATA_URI = re.compile(r"\s*data:[^,]{0,100};base64,", re.IGNORECASE)


def _text(values: dict[str, Any]) -> str:
    # Surrounding whitespace is the only thing removed; brackets are refused by the rule.
    text: str = values["text"].strip()
    if not text:
        raise LegacyError(BAD_REQUEST, "text is empty")
    NAME.check(text)
    return text


def _pic(values: dict[str, Any]) -> Image | None:
    """The proof picture; clients send "" for none, some keep the data-URI prefix."""
    raw: str = values.get("pic", "")
    prefix = _DATA_URI.match(raw)
    if prefix is not None:
        raw = raw[prefix.end() :]
    if not raw.strip():
        return None
    return rules.load_image(rules.decode_base64(raw, field="pic"), field="pic")


def _data(signature: Signature) -> dict[str, Any]:
    return {
        "id": signature.id,
        "international": int(signature.international),
        "status": STATUS_NUMBERS[signature.status],
        "text": signature.name,
    }


def _clock_text(at: float | None) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _record(signature: Signature) -> dict[str, Any]:
    return {
        **_data(signature),
        "reply": signature.review_reply,
        "apply_time": _clock_text(signature.submitted_at),
        "reply_time": _clock_text(signature.reviewed_at),
    }


async def add_sign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    text = _text(values)
    pic = _pic(values)
    draft = Draft(
        name=text,
        international=bool(values.get("international", 0)),
        proof_images=(pic,) if pic else (),
        remark=values.get("remark", ""),
    )
    change = await call.runtime.signatures.add(call.account, draft, dialect=DIALECT)
    return {"data": _data(change.signature)}


async def mod_sign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    text = _text(values)
    pic = _pic(values)
    # Fields the legacy API cannot express (type, purpose, a Yunpian industry) are kept,
    # and so are the stored pictures unless a new one is sent.
    revision = Revision(
        name=text,
        remark=values.get("remark"),
        proof_images=(pic,) if pic is not None else None,
    )
    change = await call.runtime.signatures.revise(
        call.account, values["sign_id"], revision, dialect=DIALECT
    )
    return {"data": _data(change.signature)}


async def del_sign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    ids: list[int] = values["sign_id"]
    if not ids:
        raise LegacyError(BAD_REQUEST, "sign_id is empty")
    await call.runtime.signatures.delete(call.account, ids)
    return {}


async def get_sign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    ids: list[int] | None = values.get("sign_id")
    page: Page | None = values.get("sign_page")
    service = call.runtime.signatures
    if page is not None:
        if ids:
            raise LegacyError(BAD_REQUEST, "sign_id and sign_page are mutually exclusive")
        listed, total = await service.page(call.account, offset=page.offset, limit=page.max)
        return {"count": len(listed), "total": total, "data": [_record(s) for s in listed]}
    if ids is None:
        raise LegacyError(BAD_REQUEST, "sign_id is missing")
    found = await service.describe(call.account, ids)
    return {"count": len(found), "data": [_record(s) for s in found]}


HANDLERS: dict[str, Handler] = {
    "add_sign": add_sign,
    "mod_sign": mod_sign,
    "del_sign": del_sign,
    "get_sign": get_sign,
    **TEMPLATE_HANDLERS,
}
