"""SendSms and the four pull actions, each named after its API action.

The application (`SmsSdkAppId`, `SmsSdkAppid` in 2019) is the account's legacy
`sdkappid`: an unknown one is InvalidParameterValue.SdkAppIdNotExist, another account's
UnauthorizedOperation.SmsSdkAppIdVerifyFail. Request-level faults go in `Response.Error`;
everything the core refuses per number (sign, template, parameters, number, limits) goes
in that number's `SendStatusSet` entry, in request order.

The 2019 pull replies keep their naming trap: `PurePhoneNumber` is the E.164 form and
`PhoneNumber` the national number; times are "YYYY-MM-DD HH:MM:SS" strings beside a
`…UnixTime`. 2021 renamed them (`PhoneNumber` E.164, `SubscriberNumber`, integer times).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from smssign.core import errors as core
from smssign.core import numbers
from smssign.core.messages import Message, MessageStatus, Reply
from smssign.core.model import Account
from smssign.core.sending import ParameterRules, SendRequest
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.tencent_v3.errors import MESSAGES, TencentError, send_status
from smssign.dialects.tencent_v3.params import V2019
from smssign.dialects.tencent_v3.provider import APP_KIND

DIALECT = "tencent_v3"
TENCENT_DIALECTS = ("tencent_v3", "tencent_legacy")
"""Both Tencent dialects share an application: each pulls the other's reports too."""
REPLY_DIALECTS = (*TENCENT_DIALECTS, "")
"""Replies to no known message (simulated for an account) come through the pulls too."""
MOST_NUMBERS = 200
MOST_PULLED = 100
PULL_DAYS = 7
LONGEST_SESSION = 512
SERIAL_PREFIX = "2433:"
PARAMETER_RULES = ParameterRules(verification_digits=6, urls=False)
"""A verification code is 0 to 6 digits; no value may hold a link (review standard 382/39023).
Other values are not limited: the console's per-account length is not knowable here."""
CHINA = timezone(timedelta(hours=8))


async def _application(call: Call, params: dict[str, Any]) -> Account:
    """The account the request's SmsSdkAppId names, which must be the caller's."""
    app_id = params["SmsSdkAppid" if call.version == V2019 else "SmsSdkAppId"].strip()
    found = await call.runtime.access.authenticate(APP_KIND, app_id) if app_id.isdigit() else None
    if found is None:
        raise TencentError("InvalidParameterValue.SdkAppIdNotExist")
    if found.account.id != call.account.id:
        raise TencentError("UnauthorizedOperation.SmsSdkAppIdVerifyFail")
    return call.account


def _template_id(raw: str) -> int:
    text = raw.strip()
    # An id that is no number names no template: the core answers it per number.
    return int(text) if text.isdigit() and len(text) < 19 else 0


async def SendSms(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = await _application(call, params)
    v2019 = call.version == V2019
    session = params.get("SessionContext", "")
    if len(session.encode()) >= LONGEST_SESSION:
        raise TencentError("InvalidParameterValue", "SessionContext must be under 512 bytes")
    extend = params.get("ExtendCode", "")
    if extend and (not extend.isdigit() or len(extend) > 12):
        raise TencentError("InvalidParameterValue", "ExtendCode: up to 12 digits")
    randomness = call.runtime.randomness
    result = await call.runtime.sending.send(
        account,
        SendRequest(
            dialect=DIALECT,
            mobiles=params["PhoneNumberSet"],
            template_id=_template_id(params["TemplateID" if v2019 else "TemplateId"]),
            sign=params.get("Sign" if v2019 else "SignName") or None,
            params=tuple(params.get("TemplateParamSet") or ()),
            provider_ids=lambda _position: SERIAL_PREFIX + randomness.digits(28),
            most_numbers=MOST_NUMBERS,
            session=session,
            extend=extend,
            parameter_rules=PARAMETER_RULES,
        ),
    )
    entries: list[dict[str, Any]] = []
    for number in result.results:
        if number.message is not None:
            entries.append(
                {
                    "SerialNo": number.message.provider_message_id,
                    "PhoneNumber": number.mobile,
                    "Fee": number.message.fee,
                    "SessionContext": session,
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": number.iso_code,
                }
            )
            continue
        assert number.error is not None
        code = send_status(number.error)
        entries.append(
            {
                "SerialNo": "",
                "PhoneNumber": number.mobile,
                "Fee": 0,
                "SessionContext": session,
                "Code": code,
                "Message": MESSAGES.get(code, ("error", ""))[0],
                "IsoCode": "",
            }
        )
    return {"SendStatusSet": entries}


def _limit(params: dict[str, Any]) -> int:
    limit: int = params["Limit"]
    if not 0 < limit <= MOST_PULLED:
        raise TencentError("InvalidParameterValue.LimitVerifyFail", "Limit must be 1 to 100")
    return limit


def _china_time(at: float) -> str:
    return datetime.fromtimestamp(int(at), CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _report(message: Message, version: str) -> dict[str, Any]:
    mobile = numbers.Mobile(message.mobile)
    at = message.reported_at or message.created_at
    delivered = message.status is MessageStatus.DELIVERED
    common = {
        "SerialNo": message.provider_message_id,
        "ReportStatus": "SUCCESS" if delivered else "FAIL",
        "Description": "DELIVRD" if delivered else (message.error_code or "UNDELIV"),
    }
    if version == V2019:
        return {
            "UserReceiveTime": _china_time(at),
            "UserReceiveUnixTime": int(at),
            "NationCode": mobile.country_code,
            "PurePhoneNumber": mobile.e164,
            "PhoneNumber": mobile.national,
            **common,
        }
    return {
        "UserReceiveTime": int(at),
        "CountryCode": mobile.country_code,
        "SubscriberNumber": mobile.national,
        "PhoneNumber": mobile.e164,
        **common,
        "SessionContext": message.session,
    }


def _reply(reply: Reply, version: str) -> dict[str, Any]:
    mobile = numbers.Mobile(reply.mobile)
    if version == V2019:
        return {
            "ExtendCode": reply.extend,
            "NationCode": mobile.country_code,
            "PhoneNumber": mobile.e164,
            "Sign": reply.sign,
            "ReplyContent": reply.text,
            "ReplyTime": _china_time(reply.created_at),
            "ReplyUnixTime": int(reply.created_at),
        }
    return {
        "ExtendCode": reply.extend,
        "CountryCode": mobile.country_code,
        "PhoneNumber": mobile.e164,
        "SubscriberNumber": mobile.national,
        "SignName": reply.sign,
        "ReplyContent": reply.text,
        "ReplyTime": int(reply.created_at),
    }


async def PullSmsSendStatus(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = await _application(call, params)
    found = await call.runtime.sending.pull_reports(account.id, TENCENT_DIALECTS, _limit(params))
    return {"PullSmsSendStatusSet": [_report(m, call.version) for m in found]}


async def PullSmsReplyStatus(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = await _application(call, params)
    found = await call.runtime.sending.pull_replies(account.id, REPLY_DIALECTS, _limit(params))
    return {"PullSmsReplyStatusSet": [_reply(r, call.version) for r in found]}


def _window(call: Call, params: dict[str, Any]) -> tuple[str, float, float | None, int, int]:
    """(E.164 number, begin, end, offset, limit) of a …ByPhoneNumber pull."""
    v2019 = call.version == V2019
    begin: int = params["SendDateTime" if v2019 else "BeginTime"]
    end: int | None = params.get("EndDateTime" if v2019 else "EndTime")
    now = call.runtime.clock.now()
    if begin < 0 or begin < now - PULL_DAYS * 86400 - 60:
        raise TencentError("InvalidParameterValue.BeginTimeVerifyFail")
    if end is not None and end < 0:
        raise TencentError("InvalidParameterValue.EndTimeVerifyFail")
    if end is not None and begin > end:
        raise TencentError("InvalidParameterValue.InvalidStartTime")
    offset: int = params["Offset"]
    if offset < 0:
        raise TencentError("InvalidParameterValue", "Offset must not be negative")
    try:
        mobile = numbers.normalise(params["PhoneNumber"]).e164
    except core.InvalidNumber as exc:
        raise TencentError("InvalidParameterValue.IncorrectPhoneNumber") from exc
    return mobile, float(begin), None if end is None else float(end), offset, _limit(params)


async def PullSmsSendStatusByPhoneNumber(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = await _application(call, params)
    mobile, begin, end, offset, limit = _window(call, params)
    found = await call.runtime.sending.reports_for(
        account.id, TENCENT_DIALECTS, mobile, begin, end, offset + limit
    )
    return {"PullSmsSendStatusSet": [_report(m, call.version) for m in found[offset:]]}


async def PullSmsReplyStatusByPhoneNumber(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = await _application(call, params)
    mobile, begin, end, offset, limit = _window(call, params)
    found = await call.runtime.sending.replies_for(
        account.id, REPLY_DIALECTS, mobile, begin, end, offset + limit
    )
    return {"PullSmsReplyStatusSet": [_reply(r, call.version) for r in found[offset:]]}


SEND_HANDLERS: dict[str, Handler] = {
    "SendSms": SendSms,
    "PullSmsSendStatus": PullSmsSendStatus,
    "PullSmsSendStatusByPhoneNumber": PullSmsSendStatusByPhoneNumber,
    "PullSmsReplyStatus": PullSmsReplyStatus,
    "PullSmsReplyStatusByPhoneNumber": PullSmsReplyStatusByPhoneNumber,
}
