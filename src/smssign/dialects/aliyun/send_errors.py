"""The sending core's refusals as Alibaba's `isv.*` codes (templates-sending spec §3.3).

Every code here is a business outcome: HTTP 200 with `Code`, which neither client raises.
send_actions.py checks what it can before the core (numbers, signature, template,
TemplateParam) to choose Alibaba's finer codes; what only the core can decide (the
do-not-disturb list, frequency, balance) arrives here as a neutral refusal.
"""

from __future__ import annotations

from smssign.core import errors as core
from smssign.dialects.aliyun.errors import AliyunError

WINDOWS: dict[str, tuple[str, str]] = {
    "aliyun.verification_1min": ("分钟级", "verification code, 1 per minute"),
    "aliyun.verification_1h": ("小时级", "verification code, 5 per hour"),
    "aliyun.verification_day": ("天级", "verification code, 10 per day"),
    "aliyun.notification_day": ("天级", "notification, 50 per day"),
    "aliyun.promotion_day": ("天级", "promotion, 50 per day"),
}
"""Each frequency limit of provider.py (by name): the window Alibaba's message names."""


QUOTAS: dict[str, str] = {
    "aliyun.day_quota": "isv.DAY_LIMIT_CONTROL",
    "aliyun.month_quota": "isv.MONTH_LIMIT_CONTROL",
}
"""The account-wide quotas of provider.py: their own codes, not BUSINESS_LIMIT_CONTROL."""


def flow_control(limit: str, permits: int) -> AliyunError:
    """isv.BUSINESS_LIMIT_CONTROL as Alibaba words it: `触发分钟级流控Permits:1`."""
    window, detail = WINDOWS.get(limit, ("天级", limit))
    text = f"触发{window}流控Permits:{permits}"
    return AliyunError("isv.BUSINESS_LIMIT_CONTROL", detail, text=text)


def refusal(exc: core.SendRefused, permits: int = 0) -> AliyunError:
    """The code of one refused number or request; `permits` is the breached limit's count."""
    match exc:
        case core.SignatureNotApproved():
            return AliyunError("isv.SMS_SIGNATURE_ILLEGAL", str(exc))
        case core.TemplateNotFound() | core.TemplateNotApproved():
            return AliyunError("isv.SMS_TEMPLATE_ILLEGAL", str(exc))
        case core.MarketingNotAllowed():
            return AliyunError("isv.SMS_TEMPLATE_ILLEGAL", "individual accounts send no promotions")
        case core.ParameterMismatch():
            return AliyunError("isv.TEMPLATE_MISSING_PARAMETERS", str(exc))
        case core.ParameterRejected(rule="url"):
            return AliyunError("isv.PARAM_NOT_SUPPORT_URL", str(exc))
        case core.ParameterRejected() | core.ContentTooLong():
            return AliyunError("isv.PARAM_LENGTH_LIMIT", str(exc))
        case core.InvalidNumber():
            return AliyunError("isv.MOBILE_NUMBER_ILLEGAL", str(exc))
        case core.ScopeMismatch(template_international=True):
            return AliyunError("isv.DOMESTIC_NUMBER_NOT_SUPPORTED")
        case core.ScopeMismatch():
            return AliyunError("isv.MOBILE_NUMBER_ILLEGAL", "a mainland template abroad")
        case core.NumberBlocked():
            return AliyunError("isv.BLACK_KEY_CONTROL_LIMIT", str(exc))
        case core.FrequencyLimited(limit=limit) if limit in QUOTAS:
            return AliyunError(QUOTAS[limit])
        case core.FrequencyLimited():
            return flow_control(exc.limit, permits)
        case core.InsufficientBalance():
            return AliyunError("isv.AMOUNT_NOT_ENOUGH", str(exc))
    return AliyunError("isv.INVALID_PARAMETERS", str(exc))  # pragma: no cover - all above


def request_refusal(exc: core.SendRequestInvalid) -> AliyunError:
    """The code of a send the core refused as a whole."""
    match exc:
        case core.NoNumbers():
            return AliyunError("MissingPhoneNumbers")
        case core.TooManyNumbers():
            return AliyunError("isv.MOBILE_COUNT_OVER_LIMIT", f"at most {exc.most} numbers")
    return AliyunError("isv.INVALID_PARAMETERS", str(exc))  # pragma: no cover - all above
