"""The core's send refusals as legacy result codes (spec §6), and the ones never emitted.

Per number (a `detail[]` entry of sendmultisms2, the only level of sendsms/sendisms):
1012 signature, 1014 template or parameters (also free text matching no approved template,
and a template of the other scope), 1015 blocked number, 1016 malformed number, 1017
content too long, 1023/1024/1025 the 30 s / 1 h / day limits, 1031 balance, 1032 marketing
from an individual account, 1036 a value over 12 characters, 1038 a verification code not
0 to 6 digits, 1048 a link in a value. For the whole request: 1004 no number, 1034
mainland and international numbers together, 1046 more than 200 numbers.

Not emitted, because smssign makes no such check: 1002 sensitive words, 1022 the app's
daily total, 1026 same content, 1029 marketing hours, 1045 region, 1047 international quota.
"""

from __future__ import annotations

from smssign.core import errors as core
from smssign.core.sending import ParameterRules
from smssign.dialects.tencent_legacy.errors import (
    BAD_CODE,
    BAD_MOBILE,
    BAD_REQUEST,
    BAD_TEXT,
    BLACKLISTED,
    CONTENT_TOO_LONG,
    LIMIT_1H,
    LIMIT_30S,
    LIMIT_DAY,
    LONG_PARAMETER,
    MESSAGES,
    MIXED_NUMBERS,
    NO_BALANCE,
    OTHER,
    PERSONAL_MARKETING,
    RATE_LIMITED,
    TEMPLATE_MISMATCH,
    TOO_MANY_NUMBERS,
    URL_PARAMETER,
    LegacyError,
)

PARAMETER_RULES = ParameterRules(verification_digits=6, longest=12, urls=False)
"""The legacy error page's rules for values: 1038, 1036 (12 characters, as that page says;
API 3.0 accounts opened later default to 6), 1048."""
PARAMETER_CODES = {"digits": BAD_CODE, "length": LONG_PARAMETER, "url": URL_PARAMETER}

FREQUENCY_CODES = {"tencent.30s": LIMIT_30S, "tencent.1h": LIMIT_1H, "tencent.day": LIMIT_DAY}
"""The provider's per-number limits (provider.py) by name; an unknown one is 1013."""

SIGN_NOT_APPROVED = "签名格式错误或者签名未审批"
"""1012 when sending: the sign APIs' text speaks of the format only."""


def refusal_code(error: core.SendRefused) -> int:
    match error:
        case core.SignatureNotApproved():
            return BAD_TEXT
        case (
            core.TemplateNotFound()
            | core.TemplateNotApproved()
            | core.NoTemplateMatch()
            | core.ParameterMismatch()
            | core.ScopeMismatch()
        ):
            return TEMPLATE_MISMATCH
        case core.ContentTooLong():
            return CONTENT_TOO_LONG
        case core.InvalidNumber():
            return BAD_MOBILE
        case core.NumberBlocked():
            return BLACKLISTED
        case core.FrequencyLimited():
            return FREQUENCY_CODES.get(error.limit, RATE_LIMITED)
        case core.InsufficientBalance():
            return NO_BALANCE
        case core.MarketingNotAllowed():
            return PERSONAL_MARKETING
        case core.ParameterRejected():
            return PARAMETER_CODES.get(error.rule, TEMPLATE_MISMATCH)
        case _:
            return OTHER


def refusal_text(error: core.SendRefused) -> str:
    """`errmsg` of a refused number: the code's text and the core's reason."""
    code = refusal_code(error)
    base = SIGN_NOT_APPROVED if code == BAD_TEXT else MESSAGES.get(code, MESSAGES[OTHER])
    reason = str(error)
    return f"{base}: {reason}" if reason else base


def refused(error: core.SendRefused, ext: str) -> LegacyError:
    """A single send's refusal: the whole reply, with the `ext` echo."""
    reply = LegacyError(refusal_code(error), payload={"ext": ext})
    reply.errmsg = refusal_text(error)
    return reply


def request_refused(error: core.SendRequestInvalid, ext: str) -> LegacyError:
    match error:
        case core.TooManyNumbers():
            code = TOO_MANY_NUMBERS
        case core.MixedScope():
            code = MIXED_NUMBERS
        case _:
            code = BAD_REQUEST
    return LegacyError(code, str(error) or None, payload={"ext": ext})
