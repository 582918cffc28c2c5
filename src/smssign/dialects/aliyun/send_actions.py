"""SendSms and SendBatchSms, each named after its API action (templates-sending spec §3).

A call is checked in Alibaba's order (§3.3) before anything is sent: the number count,
each number, the signature, the template and its type, the numbers' scope, TemplateParam
and its values, the extension code. Only then does the sending core store the messages,
one BizId (`<18 digits>^0`) for every number of the call. What the core alone decides
(the do-not-disturb list, frequency, balance) is per number: a call is answered OK when
at least one number was accepted, and with the first number's code when none was (Alibaba
documents no per-number result; the refused numbers are not stored).

SendBatchSms gives each number its own signature, TemplateParam and extension code; the
numbers that share all three go to the core together, one transaction per such group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from smssign.core import errors as core
from smssign.core import numbers
from smssign.core.model import Signature, Status, Template, TemplateType
from smssign.core.numbers import Mobile
from smssign.core.ports import MessageFilter
from smssign.core.sending import ParameterRules, SendRequest, SendResult
from smssign.core.service import NameFilter
from smssign.core.templates import has_url, parse
from smssign.dialects.aliyun import views
from smssign.dialects.aliyun.errors import AliyunError
from smssign.dialects.aliyun.provider import FREQUENCY_LIMITS
from smssign.dialects.aliyun.send_errors import refusal, request_refusal
from smssign.dialects.aliyun.sign_actions import DIALECT
from smssign.dialects.protocol import Call, Handler

MOST_NUMBERS = 1000
"""Numbers of one SendSms."""
MOST_BATCH = 100
"""Numbers of one SendBatchSms."""
LONGEST_OUT_ID = 255
LONGEST_VALUE = 35
"""Characters of a TemplateParam value (a verification code: 4 to 6 letters or digits)."""
LONGEST_EXTEND = 12
EXTEND_LOOKBACK = 1000
"""Recent messages of the account searched for an extension code's earlier signature."""
PROHIBITED_WORDS = ("赌博", "博彩", "六合彩", "代开发票", "办证")
"""Words no value may carry (isv.SMS_CONTENT_ILLEGAL): smssign's own short list of the
kinds Alibaba's content rules forbid (gambling, fake invoices and certificates); Alibaba
publishes no word list."""
PARAMETER_RULES = ParameterRules(longest=LONGEST_VALUE, urls=False)

_VERIFICATION_CODE = re.compile(r"[A-Za-z0-9]+")
_MAINLAND_FORM = re.compile(r"(86)?1[3-9][0-9]{9}")


def mobile(raw: str) -> Mobile:
    """A number as Alibaba takes it: mainland with or without +86/0086/86, any other as
    its country code and number, with or without `+`."""
    text = raw.strip()
    if text.isdigit() and not text.startswith("00") and not _MAINLAND_FORM.fullmatch(text):
        text = "+" + text
    try:
        return numbers.normalise(text)
    except core.InvalidNumber as exc:
        raise AliyunError("isv.MOBILE_NUMBER_ILLEGAL", raw[:40]) from exc


def new_biz_id(call: Call) -> str:
    return f"{call.runtime.randomness.digits(18)}^0"


# --- the checks ----------------------------------------------------------------------


async def _template(call: Call, code: str) -> Template | None:
    template_id = views.template_id(code)
    if template_id is None:
        return None
    found = await call.runtime.templates.describe(call.account, [template_id])
    return found[0] if found else None


async def _check_signature(call: Call, name: str, template: Template | None) -> None:
    """The signature of that name (and the template's scope) must be approved and, if it
    is for verification codes only, be sent with a verification template."""
    found, _ = await call.runtime.signatures.page(
        call.account, name=NameFilter(name.strip(), exact=True), offset=0, limit=None
    )
    if template is not None:
        found = [s for s in found if s.international == template.international]
    if not found:
        raise AliyunError("isv.SMS_SIGNATURE_ILLEGAL", "no such signature")
    order = (Status.APPROVED, Status.FILING, Status.PENDING, Status.REJECTED)
    signature: Signature = min(found, key=lambda s: (order.index(s.status), -s.id))
    match signature.status:
        case Status.FILING:
            raise AliyunError("isv.SIGN_STATE_ILLEGAL", "the signature is being filed")
        case Status.PENDING:
            raise AliyunError("isv.SMS_SIGNATURE_ILLEGAL", "the signature is under review")
        case Status.REJECTED:
            raise AliyunError("isv.SMS_SIGN_ILLEGAL", "the signature was rejected")
    verification_only = int(signature.extra.get("sign_usage", 1)) == 0
    if (
        verification_only
        and template is not None
        and template.type is not TemplateType.VERIFICATION
    ):
        raise AliyunError("isv.SMS_SIGNATURE_SCENE_ILLEGAL")


def _check_template(template: Template | None) -> Template:
    if template is None:
        raise AliyunError("isv.SMS_TEMPLATE_ILLEGAL", "no such template")
    if template.status is not Status.APPROVED:
        raise AliyunError("isv.SMS_TEMPLATE_ILLEGAL", f"the template is {template.status}")
    return template


def _check_scope(template: Template, mobiles: Sequence[Mobile]) -> None:
    for number in mobiles:
        if template.international and number.mainland:
            raise AliyunError("isv.DOMESTIC_NUMBER_NOT_SUPPORTED")
        if not template.international and not number.mainland:
            raise AliyunError("isv.MOBILE_NUMBER_ILLEGAL", "a mainland template to a number abroad")


def template_param(raw: Any) -> dict[str, str]:
    """A TemplateParam: a JSON object of strings (text, or an item of TemplateParamJson)."""
    if raw is None:
        return {}
    decoded = raw
    if isinstance(raw, str):
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise AliyunError("isv.INVALID_JSON_PARAM", "TemplateParam is no JSON") from exc
    if not isinstance(decoded, dict) or not all(isinstance(v, str) for v in decoded.values()):
        raise AliyunError("isv.INVALID_JSON_PARAM", "a JSON object of strings")
    return decoded


def template_values(template: Template, given: Mapping[str, str]) -> dict[str, str]:
    """The values of the template's variables (others are ignored), each checked.

    A verification template's first variable is its code (Alibaba's have only that one;
    one made through another dialect may add more, such as the minutes it is valid)."""
    variables = parse(template.content).variables
    for name in variables:
        if not given.get(name):
            raise AliyunError("isv.TEMPLATE_MISSING_PARAMETERS", "${" + name + "}")
    values = {name: given[name] for name in variables}
    for name, value in values.items():
        if "【" in value or "】" in value:
            raise AliyunError("isv.TEMPLATE_PARAMS_ILLEGAL", f"${{{name}}}: no 【】")
        if any(word in value for word in PROHIBITED_WORDS):
            raise AliyunError("isv.SMS_CONTENT_ILLEGAL", f"${{{name}}}")
        if has_url(value):
            raise AliyunError("isv.PARAM_NOT_SUPPORT_URL", f"${{{name}}}")
        if template.type is TemplateType.VERIFICATION and name == variables[0]:
            if not (value.isascii() and _VERIFICATION_CODE.fullmatch(value)):
                raise AliyunError("isv.TEMPLATE_PARAMS_ILLEGAL", f"${{{name}}}: letters, digits")
            if not 4 <= len(value) <= 6:
                raise AliyunError("isv.PARAM_LENGTH_LIMIT", f"${{{name}}}: 4 to 6 characters")
        elif len(value) > LONGEST_VALUE:
            raise AliyunError("isv.PARAM_LENGTH_LIMIT", f"${{{name}}}: at most {LONGEST_VALUE}")
    return values


async def _check_extend(call: Call, extend: str, sign: str) -> None:
    """Digits, and not used before under another signature of the account."""
    if not extend:
        return
    if not extend.isdigit() or len(extend) > LONGEST_EXTEND:
        raise AliyunError("isv.EXTEND_CODE_ERROR", f"up to {LONGEST_EXTEND} digits")
    recent, _ = await call.runtime.sending.messages(
        MessageFilter(account_id=call.account.id, dialect=DIALECT), limit=EXTEND_LOOKBACK
    )
    for message in recent:
        if message.extend == extend and message.sign != sign:
            raise AliyunError("isv.EXTEND_CODE_ERROR", f"already used by 【{message.sign}】")


def _out_id(values: dict[str, Any]) -> str:
    out_id: str = values.get("OutId", "")
    if len(out_id) > LONGEST_OUT_ID:
        raise AliyunError("isv.INVALID_PARAMETERS", f"OutId: under {LONGEST_OUT_ID + 1} characters")
    return out_id


# --- sending -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Numbers of one call that share a signature, values and extension code."""

    sign: str
    values: dict[str, str]
    extend: str
    mobiles: list[Mobile]


async def _permits(call: Call, limit: str) -> int:
    settings = await call.runtime.sending.repository.sending_settings(call.account.id)
    default = next((lim.count for lim in FREQUENCY_LIMITS if lim.name == limit), 0)
    return settings.frequency.get(limit, default) if settings is not None else default


async def _send(
    call: Call, template: Template, groups: Sequence[Group], out_id: str
) -> dict[str, Any]:
    biz_id = new_biz_id(call)
    accepted = 0
    first: core.SendRefused | None = None
    for group in groups:
        request = SendRequest(
            dialect=DIALECT,
            mobiles=group.mobiles,
            template_id=template.id,
            sign=group.sign,
            params=group.values,
            provider_ids=lambda _position: biz_id,
            most_numbers=MOST_NUMBERS,
            mixed_scope=True,  # the scope of every number was checked above
            session=out_id,
            extend=group.extend,
            parameter_rules=PARAMETER_RULES,
        )
        try:
            result: SendResult = await call.runtime.sending.send(call.account, request)
        except core.SendRequestInvalid as exc:
            raise request_refusal(exc) from exc
        accepted += len(result.accepted)
        if first is None:
            first = result.request_error or next(
                (r.error for r in result.results if r.error is not None), None
            )
    if accepted == 0:
        assert first is not None
        if isinstance(first, core.FrequencyLimited):
            raise refusal(first, await _permits(call, first.limit))
        raise refusal(first)
    return {"BizId": biz_id}


def _unique(mobiles: Sequence[Mobile]) -> list[Mobile]:
    """Each number once (Alibaba sends a repeated number once)."""
    return list(dict.fromkeys(mobiles))


async def SendSms(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    raw = values["PhoneNumbers"].split(",")
    if len(raw) > MOST_NUMBERS:
        raise AliyunError("isv.MOBILE_COUNT_OVER_LIMIT", f"at most {MOST_NUMBERS} numbers")
    mobiles = _unique([mobile(r) for r in raw])
    sign = values["SignName"].strip()
    found = await _template(call, values["TemplateCode"])
    await _check_signature(call, sign, found)
    template = _check_template(found)
    _check_scope(template, mobiles)
    given = template_param(values.get("TemplateParam"))
    filled = template_values(template, given)
    extend = values.get("SmsUpExtendCode", "").strip()
    await _check_extend(call, extend, sign)
    out_id = _out_id(values)
    return await _send(call, template, [Group(sign, filled, extend, mobiles)], out_id)


def _json_array(values: dict[str, Any], name: str, code: str) -> list[Any] | None:
    raw = values.get(name)
    if raw is None:
        return None
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AliyunError(code, f"{name} must be a JSON array") from exc
    if not isinstance(decoded, list):
        raise AliyunError(code, f"{name} must be a JSON array")
    return decoded


def _strings(values: dict[str, Any], name: str) -> list[str] | None:
    items = _json_array(values, name, "isv.INVALID_PARAMETERS")
    if items is not None and not all(isinstance(i, str) for i in items):
        raise AliyunError("isv.INVALID_PARAMETERS", f"{name}: strings only")
    return items


async def SendBatchSms(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    phones = _strings(values, "PhoneNumberJson") or []
    signs = _strings(values, "SignNameJson") or []
    params = _json_array(values, "TemplateParamJson", "isv.INVALID_JSON_PARAM")
    extends = _strings(values, "SmsUpExtendCodeJson")
    if len(phones) > MOST_BATCH:
        raise AliyunError("isv.MOBILE_COUNT_OVER_LIMIT", f"at most {MOST_BATCH} numbers")
    if not phones:
        raise AliyunError("isv.INVALID_PARAMETERS", "PhoneNumberJson is empty")
    for name, items in (("SignNameJson", signs), ("TemplateParamJson", params),
                        ("SmsUpExtendCodeJson", extends)):  # fmt: skip
        if items is not None and len(items) != len(phones):
            raise AliyunError("isv.INVALID_PARAMETERS", f"{name} and PhoneNumberJson differ")
    mobiles = [mobile(p) for p in phones]
    found = await _template(call, values["TemplateCode"])
    for sign in dict.fromkeys(s.strip() for s in signs):
        await _check_signature(call, sign, found)
    template = _check_template(found)
    _check_scope(template, mobiles)
    groups: dict[tuple[str, bytes, str], Group] = {}
    extend_signs: dict[str, str] = {}
    for position, number in enumerate(mobiles):
        sign = signs[position].strip()
        given = template_param(params[position] if params is not None else None)
        filled = template_values(template, given)
        extend = extends[position].strip() if extends is not None else ""
        key = (sign, orjson.dumps(filled, option=orjson.OPT_SORT_KEYS), extend)
        if extend and extend_signs.setdefault(extend, sign) != sign:
            raise AliyunError("isv.EXTEND_CODE_ERROR", f"{extend} for two signatures")
        if key not in groups:
            await _check_extend(call, extend, sign)
            groups[key] = Group(sign, filled, extend, [])
        if number not in groups[key].mobiles:
            groups[key].mobiles.append(number)
    return await _send(call, template, list(groups.values()), _out_id(values))


SEND_HANDLERS: dict[str, Handler] = {
    "SendSms": SendSms,
    "SendBatchSms": SendBatchSms,
}
