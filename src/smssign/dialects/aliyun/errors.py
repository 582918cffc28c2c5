"""Alibaba Cloud's error codes: gateway codes with their HTTP statuses, the new-generation
actions' codes, the `isv.*` business codes (HTTP 200), and the core mapping.

Gateway and new-generation errors are answered in the gateway shape (RequestId, HostId,
Code, Message, Recommend) with a 4xx or 5xx status, which the Tea SDK raises as
`ClientException`/`ServerException`. Business errors are HTTP 200 with `Code` other than
`OK`, which no client raises: the caller reads `Code`.
"""

from __future__ import annotations

from smssign.core import errors as core

GATEWAY: dict[str, tuple[int, str]] = {
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "SignatureDoesNotMatch": (
        400,
        "Specified signature is not matched with our calculation. server string to sign is:",
    ),
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "InvalidSignatureMethod": (400, "Specified signature method is not valid."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "InvalidTimeStamp.Format": (
        400,
        "Specified time stamp or date value is not well formatted.",
    ),
    "MissingParameter": (
        400,
        "The input parameter that is mandatory for processing this request is not supplied.",
    ),
    "InvalidParameter": (400, "Specified parameter is not valid."),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "InvalidAction.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "InvalidApi.NotFound": (404, "Specified api is not found, please check your url and method."),
    "UnsupportedHTTPMethod": (400, "This http method is not supported."),
    "RequestTooLarge": (400, "The request body is too large."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "InternalError": (
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
    ),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    # The new-generation actions' own codes, as their metadata lists them.
    "ForbiddenAction": (400, "Access to the account is denied. Please contact the administrator."),
    "SignName.Exists": (
        400,
        "Sorry, this signature already exists and cannot be applied for again.",
    ),
    "InvalidQualification": (400, "The qualification should be approved."),
    "ParameterMismatch.ThirdParty": (
        400,
        "The type of signature, whether for personal use or for a third party, should be "
        "consistent with the qualifications.",
    ),
    "InvalidApplySceneContent": (
        400,
        "For certain signature sources, the applySceneContent should be an HTTP or HTTPS link.",
    ),
    "MissApplySceneContent": (
        400,
        "In some signature sources, the applySceneContent is required.",
    ),
    "InvalidSignName": (
        400,
        "The signature cannot contain spaces, special symbols, or all numbers.",
    ),
    "QualificationNotFound": (404, "Qualification does not exist."),
    "SignatureNotFound": (404, "The signature does not exist."),
}
"""Code -> (HTTP status, message)."""

BUSINESS: dict[str, str] = {
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不合法",
    "isv.SIGN_NAME_ILLEGAL": "签名名称不符合规范",
    "isv.SIGN_OVER_LIMIT": "签名字符数量超过限制",
    "isv.SIGN_FILE_LIMIT": "签名认证材料附件大小超过限制",
    "isv.SIGN_COUNT_OVER_LIMIT": "一个自然日中申请签名数量超过限制",
    "isv.INVALID_PARAMETERS": "参数异常",
    "isv.ACCOUNT_ABNORMAL": "账户异常",
    "isv.OUT_OF_SERVICE": "业务停机",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不合法",
    "isp.SYSTEM_ERROR": "系统错误",
    # Sending and its queries (templates-sending spec §3.3).
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码数量超过限制",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.SIGN_STATE_ILLEGAL": "签名状态为“不可用”",
    "isv.SMS_SIGN_ILLEGAL": "签名禁止使用",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "签名和模板类型不一致",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": "国际/港澳台消息模板不支持发送境内号码",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法,只接受字符串值",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "模板变量里包含非法关键字",
    "isv.PARAM_LENGTH_LIMIT": "参数超出长度限制",
    "isv.PARAM_NOT_SUPPORT_URL": "不支持URL",
    "isv.EXTEND_CODE_ERROR": "扩展码使用错误,相同的扩展码不可用于多个签名",
    "isv.BLACK_KEY_CONTROL_LIMIT": "黑名单管控",
    "isv.SMS_CONTENT_ILLEGAL": "短信内容包含禁止发送内容",
    "isv.BUSINESS_LIMIT_CONTROL": "业务限流",
    "isv.DAY_LIMIT_CONTROL": "触发日发送限额",
    "isv.MONTH_LIMIT_CONTROL": "触发月发送限额",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
}
"""Code -> Alibaba's short Chinese text (HTTP 200)."""


class AliyunError(Exception):
    """An error reply: its code, and a detail appended to the code's message."""

    def __init__(self, code: str, detail: str | None = None, *, text: str | None = None) -> None:
        """`text` replaces the code's message (isv.BUSINESS_LIMIT_CONTROL names its window)."""
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.text = text

    @property
    def status(self) -> int:
        """200 for a business code; the gateway status otherwise."""
        if self.code in BUSINESS:
            return 200
        if self.code in GATEWAY:
            return GATEWAY[self.code][0]
        return 400  # Missing{Param}, Invalid{Param}

    @property
    def message(self) -> str:
        if self.text is not None:
            return self.text
        if self.code in BUSINESS:
            base = BUSINESS[self.code]
        elif self.code in GATEWAY:
            base = GATEWAY[self.code][1]
        elif self.code.startswith("Missing"):
            base = f"{self.code.removeprefix('Missing')} is mandatory for this action."
        else:
            base = f"Specified parameter {self.code.removeprefix('Invalid')} is not valid."
        if self.detail is None:
            return base
        if base.endswith(":"):  # SignatureDoesNotMatch: the string to sign follows the colon
            return base + self.detail
        return f"{base} ({self.detail})"


def missing(name: str) -> AliyunError:
    return AliyunError(f"Missing{name}")


NEW_SIGN_ACTIONS = frozenset({"CreateSmsSign", "UpdateSmsSign", "GetSmsSign"})


def _sign_error(exc: core.SmssignError, action: str) -> AliyunError | None:
    new = action in NEW_SIGN_ACTIONS
    match exc:
        case core.InvalidName():
            if new:
                return AliyunError("InvalidSignName", exc.reason)
            if isinstance(exc, core.NameTooLong):
                return AliyunError("isv.SIGN_OVER_LIMIT", exc.reason)
            return AliyunError("isv.SIGN_NAME_ILLEGAL", exc.reason)
        case core.TextTooLong():
            return AliyunError("isv.SIGN_OVER_LIMIT", f"{exc.field}: {exc.reason}")
        case core.InvalidImage():
            return AliyunError("isv.SIGN_FILE_LIMIT", f"{exc.field}: {exc.reason}")
        case core.Duplicate():
            if new:
                return AliyunError("SignName.Exists")
            return AliyunError("isv.INVALID_PARAMETERS", "the signature already exists")
        case core.QualificationNotFound():
            return AliyunError("QualificationNotFound")
        case core.QualificationNotApproved():
            return AliyunError("InvalidQualification")
        case core.QuotaExceeded():
            return AliyunError("isv.SIGN_COUNT_OVER_LIMIT")
        case core.NotModifiable():
            if new:
                return AliyunError("InvalidParameter", "only a rejected signature can be updated")
            return AliyunError("isv.INVALID_PARAMETERS", f"the signature is {exc.status}")
        case core.NotFound():
            if new:
                return AliyunError("SignatureNotFound")
            return AliyunError("isv.SMS_SIGNATURE_ILLEGAL")
    return None


def _template_error(exc: core.SmssignError) -> AliyunError | None:
    match exc:
        case core.InvalidSubmission():
            return AliyunError("isv.INVALID_PARAMETERS", f"{exc.field}: {exc.reason}")
        case core.MissingSignature():
            return AliyunError("isv.SMS_SIGNATURE_ILLEGAL", "apply for a signature first")
        case core.QuotaExceeded():  # Alibaba documents no code of its own for this
            return AliyunError("isv.INVALID_PARAMETERS", "the account holds too many templates")
        case core.NotModifiable():
            return AliyunError("isv.INVALID_PARAMETERS", f"the template is {exc.status}")
        case core.NotFound():
            return AliyunError("isv.SMS_TEMPLATE_ILLEGAL")
    return None


def from_core(exc: core.SmssignError, action: str) -> AliyunError:
    """The wire error for a neutral core error, as the action's generation answers it."""
    specific = _template_error(exc) if "Template" in action else _sign_error(exc, action)
    if specific is not None:
        return specific
    match exc:
        case core.NotEnterprise():  # no action is enterprise-only today
            return AliyunError("ForbiddenAction")
        case core.InArrears():
            return AliyunError("isv.OUT_OF_SERVICE")
        case core.IpNotAllowed():
            return AliyunError("isv.ACCOUNT_ABNORMAL", "the caller's IP is not allowed")
        case core.InvalidSubmission():
            return AliyunError("isv.INVALID_PARAMETERS", f"{exc.field}: {exc.reason}")
        case core.Conflict():
            return AliyunError("isv.INVALID_PARAMETERS", "changed concurrently, retry")
        case core.Unavailable():
            return AliyunError("ServiceUnavailable")
        case _:
            return AliyunError("isp.SYSTEM_ERROR")
