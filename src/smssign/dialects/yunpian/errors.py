"""Yunpian v2 error codes, their `msg` texts, and the mapping from core errors.

Codes and texts follow Yunpian's public code table; where the table has nothing for a
signature case (duplicate, unknown `old_sign`, a locked signature) the spec's suggested
mapping (§7.3) applies.
"""

from __future__ import annotations

from smssign.core import errors as core

MISSING = 1
BAD_FORMAT = 2
NO_BALANCE = 3
TEMPLATE_NOT_FOUND = 5
GET_NOT_SUPPORTED = 11
UNDECODABLE = 14
SIGN_MISMATCH = 15
SIGN_FORMAT = 16
SIGN_NOT_CREATED = 34
BAD_APIKEY = -1
NOT_PERMITTED = -2
IP_NOT_ALLOWED = -3
TOO_FREQUENT = -5
UNKNOWN = -50
BUSY = -51
EXISTS = -54
NOT_FOUND = -55

MESSAGES: dict[int, str] = {
    MISSING: "请求参数缺失",
    BAD_FORMAT: "请求参数格式错误",
    NO_BALANCE: "账户余额不足",
    TEMPLATE_NOT_FOUND: "未找到对应id的模板",
    GET_NOT_SUPPORTED: "接口不支持GET方式调用",
    UNDECODABLE: "解码失败",
    SIGN_MISMATCH: "签名不匹配",
    SIGN_FORMAT: "签名格式不正确",
    SIGN_NOT_CREATED: "签名创建失败",
    BAD_APIKEY: "非法的apikey",
    NOT_PERMITTED: "API没有权限",
    IP_NOT_ALLOWED: "IP没有权限",
    TOO_FREQUENT: "访问频率超限",
    UNKNOWN: "未知异常",
    BUSY: "系统繁忙",
    EXISTS: "相关记录已存在",
    NOT_FOUND: "相关记录不存在",
}

LOCKED = "签名审核成功或报备中，暂不支持修改"
"""Detail for an update of an approved or filing signature (our wording; see the spec)."""


class YunpianError(Exception):
    """An error reply: `code`, `msg` from the table, and a `detail` saying what to fix."""

    def __init__(self, code: int, detail: str = "", *, http_status: int = 400) -> None:
        self.code = code
        self.msg = MESSAGES.get(code, MESSAGES[UNKNOWN])
        self.detail = detail
        self.http_status = http_status
        super().__init__(f"{code} {self.msg}: {detail}")


def from_core(exc: core.SmssignError, action: str = "") -> YunpianError:
    """The Yunpian reply for a neutral core error raised by `action`."""
    if action.startswith("tpl_"):
        return _template_error(exc)
    match exc:
        case core.InArrears():
            return YunpianError(NO_BALANCE, "账户需要充值，请充值后重试")
        case core.IpNotAllowed():
            return YunpianError(IP_NOT_ALLOWED, "请求IP不在白名单中")
        case core.NotEnterprise():
            return YunpianError(NOT_PERMITTED, "个人认证账户无权调用此接口")
        case core.InvalidName():
            return YunpianError(BAD_FORMAT, f"sign: {exc.reason}")
        case core.InvalidSubmission():
            return YunpianError(BAD_FORMAT, f"{exc.field}: {exc.reason}")
        case core.Duplicate():
            return YunpianError(EXISTS, "签名已存在")
        case core.NotFound():
            return YunpianError(NOT_FOUND, "签名不存在")
        case core.NotModifiable():
            return YunpianError(BAD_FORMAT, LOCKED)
        case core.QuotaExceeded():
            return YunpianError(SIGN_NOT_CREATED, "签名数量已达上限")
        case core.QualificationNotFound() | core.QualificationNotApproved():
            return YunpianError(BAD_FORMAT, "签名关联的资质不可用")
        case core.Conflict():
            return YunpianError(BUSY, "签名正被修改，请重试")
        case core.Unavailable():
            return YunpianError(BUSY, "请稍后重试")
        case _:
            return YunpianError(UNKNOWN)


def _template_error(exc: core.SmssignError) -> YunpianError:
    match exc:
        case core.InvalidSubmission():
            return YunpianError(BAD_FORMAT, f"tpl_content: {exc.reason}")
        case core.MissingSignature():
            return YunpianError(SIGN_MISMATCH, "请先添加签名")
        case core.NotFound():
            return YunpianError(TEMPLATE_NOT_FOUND, "未找到对应id的模板")
        case core.NotModifiable():
            return YunpianError(BAD_FORMAT, "审核通过的模板不能修改")
        case core.QuotaExceeded():
            return YunpianError(BAD_FORMAT, "模板数量已达上限")
        case _:
            return from_core(exc)
