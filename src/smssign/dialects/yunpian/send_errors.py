"""Yunpian's sending codes (spec §3.8–3.9) and the mapping from the sending core's errors.

A refusal of one number is a `(code, msg, detail)`: single sends answer it as the HTTP 400
error, batch sends put it in that number's `data[]` item. What refuses a whole request
(the signature, the template, its parameters, the numbers' count) is always the 400 error.
"""

from __future__ import annotations

from smssign.core import errors as core
from smssign.dialects.yunpian.errors import BAD_FORMAT, MISSING, NO_BALANCE, YunpianError

NO_TEMPLATE = 5
TEMPLATE_UNAVAILABLE = 7
SAME_TEXT_30S = 8
SAME_TEXT_5MIN = 9
BLACKLISTED = 10
DAILY_LIMIT = 17
SIGN_MISMATCH = 15
SIGN_FORMAT = 16
VERIFICATION_HOURLY = 22
REGION_NOT_ALLOWED = 23
COUNT_MISMATCH = 25

SEND_MESSAGES: dict[int, str] = {
    NO_TEMPLATE: "未找到匹配的模板",
    TEMPLATE_UNAVAILABLE: "模板不可用",
    SAME_TEXT_30S: "同一手机号30秒内重复提交相同的内容",
    SAME_TEXT_5MIN: "同一手机号5分钟内重复提交相同的内容超过3次",
    BLACKLISTED: "手机号防骚扰名单过滤",
    DAILY_LIMIT: "24小时内同一手机号发送次数超过限制",
    SIGN_MISMATCH: "签名不匹配",
    SIGN_FORMAT: "签名格式不正确",
    VERIFICATION_HOURLY: "验证码类短信1小时内同一手机号发送次数不能超过3次",
    REGION_NOT_ALLOWED: "号码归属地不在模板可发送的地区内",
    COUNT_MISMATCH: "手机号和内容个数不匹配",
}

FREQUENCY_CODES: dict[str, int] = {
    "yunpian.30s": SAME_TEXT_30S,
    "yunpian.5min": SAME_TEXT_5MIN,
    "yunpian.verification_1h": VERIFICATION_HOURLY,
    "yunpian.day": DAILY_LIMIT,
}
"""Each frequency limit of provider.py (by name) and the code its breach answers."""

SENT = "发送成功"


def send_error(code: int, detail: str = "") -> YunpianError:
    """A YunpianError whose `msg` is the sending table's text for `code`."""
    error = YunpianError(code, detail)
    error.msg = SEND_MESSAGES.get(code, error.msg)
    return error


def refusal(exc: core.SendRefused, *, sign: str = "", mobile: str = "") -> YunpianError:
    """The code, msg and detail of a refused number or request; `sign` and `mobile` as the
    caller wrote them, for the detail."""
    match exc:
        case core.SignatureNotApproved():
            return send_error(SIGN_MISMATCH, f"签名 【{sign}】 与设置的签名不匹配")
        case core.TemplateNotFound():
            return send_error(NO_TEMPLATE, "未找到对应id的模板")
        case core.TemplateNotApproved():
            return send_error(TEMPLATE_UNAVAILABLE, "模板未审核通过，不可使用")
        case core.NoTemplateMatch():
            return send_error(NO_TEMPLATE, "未自动匹配到合适的模板")
        case core.ParameterMismatch():
            return send_error(BAD_FORMAT, "tpl_value: 变量名和变量值都不能为空")
        case core.ContentTooLong():
            return send_error(BAD_FORMAT, f"短信内容过长：{exc}")
        case core.InvalidNumber():
            return send_error(BAD_FORMAT, f"参数 mobile 格式不正确，mobile:{mobile}")
        case core.ScopeMismatch():
            return send_error(REGION_NOT_ALLOWED, "请确认号码归属地与模板的发送范围")
        case core.NumberBlocked():
            return send_error(BLACKLISTED, f"{mobile} 在防骚扰名单中")
        case core.FrequencyLimited():
            code = FREQUENCY_CODES.get(exc.limit, DAILY_LIMIT)
            return send_error(code, SEND_MESSAGES[code])
        case core.InsufficientBalance():
            return send_error(NO_BALANCE, "账户余额不足，请充值后重试")
    return send_error(BAD_FORMAT, str(exc))  # pragma: no cover - every refusal is above


def request_refusal(exc: core.SendRequestInvalid) -> YunpianError:
    """The 400 error for a send the core refused as a whole."""
    match exc:
        case core.NoNumbers():
            return send_error(MISSING, "参数 mobile 必须传入")
        case core.TooManyNumbers():
            return send_error(BAD_FORMAT, f"参数 mobile 最多 {exc.most} 个号码")
        case core.MixedScope():
            return send_error(BAD_FORMAT, "国内号码和国际号码不能在同一请求中发送")
    return send_error(BAD_FORMAT, str(exc))  # pragma: no cover - every kind is above
