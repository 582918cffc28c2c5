"""sendsms, sendisms, sendmultisms2, pullstatus and pullstatus4mobile over the sending core.

Each handler parses nothing itself (send_params.py did) and checks nothing the core
checks: it turns the typed values into a `SendRequest` (or a pull) and the core's answer
into the legacy reply. Two legacy rules live here because only this protocol has them:
the default signature (an omitted or empty `sign` sends with the account's first approved
mainland signature, spec §4.5), and `msg` free text, which names its signature as a
【…】 prefix or gets the default one.
"""

from __future__ import annotations

import contextlib
import secrets
import string
from datetime import datetime
from typing import Any

from smssign.core import errors as core
from smssign.core import numbers
from smssign.core.model import Status
from smssign.core.sending import NumberResult, SendRequest
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.tencent_legacy.actions import CHINA, DIALECT
from smssign.dialects.tencent_legacy.errors import BAD_MOBILE, LegacyError
from smssign.dialects.tencent_legacy.reports import reply, report
from smssign.dialects.tencent_legacy.send_errors import (
    PARAMETER_RULES,
    refusal_code,
    refusal_text,
    refused,
    request_refused,
)
from smssign.dialects.tencent_legacy.send_params import Content, Tel

MOST_NUMBERS = 200
"""sendmultisms2's documented bound (1046 above it)."""

QUEUES = (DIALECT, "tencent_v3")
"""Both Tencent dialects share one report and reply store per application (spec §8): a
message sent through API 3.0 is pulled here too, and each report is pulled once."""
REPLY_QUEUES = (*QUEUES, "")
"""Replies to no known message (simulated for an account) are the application's too."""

_SID_ALPHABET = string.ascii_letters + string.digits


def new_sid() -> str:
    """A send id shaped like the service's: `8:`, 20 letters and digits, the China date."""
    token = "".join(secrets.choice(_SID_ALPHABET) for _ in range(20))
    return f"8:{token}{datetime.now(CHINA):%Y%m%d}"


async def _default_sign(call: Call) -> str:
    """The account's first approved mainland signature, or "" (then the core says 1012)."""
    listed, _ = await call.runtime.signatures.page(call.account, international=False, count=False)
    approved = [s for s in listed if s.status is Status.APPROVED]
    return min(approved, key=lambda s: s.id).name if approved else ""


async def _send(
    call: Call, mobiles: list[str | numbers.Mobile], values: dict[str, Any], most: int
) -> list[NumberResult]:
    """The core's per-number results; raises for what refuses the request as a whole."""
    content: Content = values["content"]
    ext: str = values["ext"]
    sign = content.sign
    if content.msg is not None:
        text = content.msg
        if not text.startswith("【"):
            text = f"【{sign or await _default_sign(call)}】{text}"
        try:
            match = await call.runtime.sending.match_text(call.account, text)
        except core.SendRefused as exc:
            return [NumberResult(i, "", "", None, exc) for i in range(len(mobiles))]
        template_id, sign, params = match.template.id, match.sign, match.params
    else:
        assert content.tpl_id is not None
        template_id, params = content.tpl_id, content.params
        if not sign:
            # The default is a mainland signature, for a mainland template.
            found = await call.runtime.templates.describe(call.account, [template_id])
            if found and not found[0].international:
                sign = await _default_sign(call)
    try:
        result = await call.runtime.sending.send(
            call.account,
            SendRequest(
                dialect=DIALECT,
                mobiles=mobiles,
                template_id=template_id,
                sign=sign,
                params=params,
                provider_ids=lambda _position: new_sid(),
                most_numbers=most,
                parameter_rules=PARAMETER_RULES,
                session=ext,
                extend=values["extend"],
            ),
        )
    except core.SendRequestInvalid as exc:
        raise request_refused(exc, ext) from exc
    return list(result.results)


def _mobile(tel: Tel) -> str | numbers.Mobile:
    """The number for the core: normalised, or "" that the core refuses as malformed."""
    try:
        return numbers.from_parts(tel.nationcode, tel.mobile)
    except core.InvalidNumber:
        return ""


def _single(result: NumberResult, ext: str) -> dict[str, Any]:
    if result.error is not None or result.message is None:
        raise refused(result.error or core.SendRefused(), ext)
    message = result.message
    return {"ext": ext, "fee": message.fee, "sid": message.provider_message_id}


async def sendsms(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    [result] = await _send(call, [_mobile(values["tel"])], values, 1)
    return _single(result, values["ext"])


async def sendisms(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    tel: str = values["tel"]
    mobile: str | numbers.Mobile = ""
    # Only the E.164 form: a bare national number would silently read as mainland.
    if tel.startswith("+"):
        with contextlib.suppress(core.InvalidNumber):
            mobile = numbers.normalise(tel)
    [result] = await _send(call, [mobile], values, 1)
    reply = _single(result, values["ext"])
    reply["nationcode"] = mobile.country_code if isinstance(mobile, numbers.Mobile) else ""
    return reply


async def sendmultisms2(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    tels: list[Tel] = values["tel"]
    results = await _send(call, [_mobile(t) for t in tels], values, MOST_NUMBERS)
    detail = []
    for tel, result in zip(tels, results, strict=True):
        entry: dict[str, Any] = {"mobile": tel.mobile, "nationcode": tel.nationcode}
        if result.message is not None:
            message = result.message
            entry |= {"result": 0, "errmsg": "OK", "fee": message.fee}
            entry["sid"] = message.provider_message_id
        else:
            error = result.error or core.SendRefused()
            entry |= {"result": refusal_code(error), "errmsg": refusal_text(error)}
            entry |= {"fee": 0, "sid": ""}
        detail.append(entry)
    return {"ext": values["ext"], "detail": detail}


# --- pulls ------------------------------------------------------------------------------


def _listed(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(data), "data": data}


async def pullstatus(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    sending, account_id, most = call.runtime.sending, call.account.id, values["max"]
    if values["type"] == 0:
        return _listed([report(m) for m in await sending.pull_reports(account_id, QUEUES, most)])
    return _listed([reply(r) for r in await sending.pull_replies(account_id, REPLY_QUEUES, most)])


async def pullstatus4mobile(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    tel: Tel = values["tel"]
    try:
        number = numbers.from_parts(tel.nationcode, tel.mobile).e164
    except core.InvalidNumber as exc:
        raise LegacyError(BAD_MOBILE, str(exc)) from exc
    sending, account_id = call.runtime.sending, call.account.id
    window = (float(values["begin_time"]), float(values["end_time"]), values["max"])
    if values["type"] == 0:
        found = await sending.reports_for(account_id, QUEUES, number, *window)
        return _listed([report(m) for m in found])
    answers = await sending.replies_for(account_id, REPLY_QUEUES, number, *window)
    return _listed([reply(r) for r in answers])


SEND_HANDLERS: dict[str, Handler] = {
    "sendsms": sendsms,
    "sendisms": sendisms,
    "sendmultisms2": sendmultisms2,
    "pullstatus": pullstatus,
    "pullstatus4mobile": pullstatus4mobile,
}
