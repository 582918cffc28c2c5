"""Legacy result codes, their default texts, and the mapping from core errors.

The legacy pages define no sign-specific business codes; the mapping below follows the
spec's suggestion (§6): 1004 for malformed requests, 1012 for a bad signature text,
1007 for every business refusal, with the reason in `errmsg`.
"""

from __future__ import annotations

from typing import Any

from smssign.core import errors as core

BAD_SIG = 1001
MISSING_SIG = 1003
BAD_REQUEST = 1004
NO_PERMISSION = 1006
OTHER = 1007
TIMEOUT = 1008
IP_NOT_ALLOWED = 1009
NO_SUCH_API = 1011
BAD_TEXT = 1012
RATE_LIMITED = 1013
UNKNOWN_SDKAPPID = 1019
BAD_TIME = 1021
NOT_SUPPORTED = 1030
ARREARS = 1033

# Sending (spec §6); send_errors.py maps the core's refusals onto them.
TEMPLATE_MISMATCH = 1014
BLACKLISTED = 1015
BAD_MOBILE = 1016
CONTENT_TOO_LONG = 1017
LIMIT_30S = 1023
LIMIT_1H = 1024
LIMIT_DAY = 1025
NO_BALANCE = 1031
PERSONAL_MARKETING = 1032
MIXED_NUMBERS = 1034
LONG_PARAMETER = 1036
BAD_CODE = 1038
TOO_MANY_NUMBERS = 1046
URL_PARAMETER = 1048

MESSAGES: dict[int, str] = {
    BAD_SIG: "sig校验失败",
    MISSING_SIG: "sig字段没有或者为空",
    BAD_REQUEST: "请求包解析失败，通常情况下是由于没有遵守API接口说明规范导致的",
    NO_PERMISSION: "请求没有权限",
    OTHER: "其他错误",
    TIMEOUT: "请求下发短信超时，请重试",
    IP_NOT_ALLOWED: "请求ip不在白名单中",
    NO_SUCH_API: "REST API不存在",
    BAD_TEXT: "签名格式错误，签名为2-12个中文、英文字母或数字",
    RATE_LIMITED: "触发频率限制策略",
    UNKNOWN_SDKAPPID: "sdkappid不存在",
    BAD_TIME: "请求的时间与服务器时间相差超过10分钟",
    NOT_SUPPORTED: "不支持该请求",
    ARREARS: "欠费被停止服务",
    TEMPLATE_MISMATCH: "模版未审批或内容不匹配",
    BLACKLISTED: "手机号在黑名单库中，通常是用户退订或者命中运营商黑名单导致的",
    BAD_MOBILE: "手机号格式错误",
    CONTENT_TOO_LONG: "请求的短信内容太长",
    LIMIT_30S: "单个手机号30秒内下发短信条数超过设定的上限",
    LIMIT_1H: "单个手机号1小时内下发短信条数超过设定的上限",
    LIMIT_DAY: "单个手机号日下发短信条数超过设定的上限",
    NO_BALANCE: "套餐包余量不足",
    PERSONAL_MARKETING: "个人用户没有发营销短信的权限",
    LONG_PARAMETER: "模板变量内容长度超过12个字符",
    BAD_CODE: "验证码模板参数格式错误，验证码类模板变量只能是0-6位数字",
    URL_PARAMETER: "模板变量中不允许包含URL",
    MIXED_NUMBERS: "群发请求里既有国内手机号也有国际手机号",
    TOO_MANY_NUMBERS: "单次提交的手机号个数超过200个",
}


class LegacyError(Exception):
    """An error reply: `result` and the `errmsg`/`msg` text, and any members the action's
    error replies carry too (a send's `ext` echo)."""

    def __init__(
        self, result: int, detail: str | None = None, *, payload: dict[str, Any] | None = None
    ) -> None:
        base = MESSAGES.get(result, MESSAGES[OTHER])
        self.result = result
        self.payload: dict[str, Any] = payload or {}
        if detail is None:
            self.errmsg = base
        elif result == OTHER:
            # "Other error: see errmsg", so the reason is the whole message.
            self.errmsg = detail
        else:
            self.errmsg = f"{base}: {detail}"
        super().__init__(f"{result} {self.errmsg}")


def from_core(exc: core.SmssignError, action: str = "") -> LegacyError:
    """The legacy reply for a neutral core error raised by `action`."""
    kind, field = ("template", "tpl_id") if "template" in action else ("signature", "sign_id")
    match exc:
        case core.NotEnterprise():
            return LegacyError(NO_PERMISSION, "individual accounts apply in the console")
        case core.InArrears():
            return LegacyError(ARREARS)
        case core.IpNotAllowed():
            return LegacyError(IP_NOT_ALLOWED)
        case core.InvalidTemplateContent():
            return LegacyError(BAD_REQUEST, f"text: {exc.reason}")
        case core.MissingSignature():
            return LegacyError(OTHER, "apply for a signature before a template")
        case core.InvalidName():
            return LegacyError(BAD_TEXT, exc.reason)
        case core.InvalidImage():
            return LegacyError(BAD_REQUEST, f"pic: {exc.reason}")
        case core.InvalidSubmission():
            return LegacyError(BAD_REQUEST, f"{exc.field}: {exc.reason}")
        case core.NotFound():
            return LegacyError(OTHER, f"{field} not found")
        case core.NotModifiable():
            return LegacyError(OTHER, f"{exc.status} {kind} cannot be modified")
        case core.Duplicate():
            return LegacyError(OTHER, f"signature {exc.existing_id} already has this text")
        case core.QuotaExceeded():
            return LegacyError(OTHER, f"the app holds the maximum number of {kind}s")
        case core.QualificationNotFound() | core.QualificationNotApproved():
            return LegacyError(OTHER, "the signature's qualification is not usable")
        case core.Conflict():
            return LegacyError(OTHER, "changed concurrently, retry")
        case core.Unavailable():
            return LegacyError(TIMEOUT)
        case _:
            return LegacyError(OTHER)
