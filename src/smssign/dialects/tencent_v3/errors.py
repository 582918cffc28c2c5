"""Tencent Cloud API 3.0 error codes, their messages in both languages, and the core mapping."""

from __future__ import annotations

from smssign.core import errors as core


class TencentError(Exception):
    """An error reply: `Response.Error.Code` and, if given, a specific message."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail

    def message(self, language: str) -> str:
        en, zh = MESSAGES.get(self.code, ("Error.", "错误。"))
        base = zh if language == "zh-CN" else en
        return base if self.detail is None else f"{base} ({self.detail})"


MESSAGES: dict[str, tuple[str, str]] = {
    "UnsupportedProtocol": (
        "The HTTP method is not supported; use GET or POST.",
        "不支持的HTTP请求方法，请使用GET或POST。",
    ),
    "RequestSizeLimitExceeded": ("The request is too large.", "请求包超过限制大小。"),
    "InvalidAction": ("The action does not exist.", "接口不存在。"),
    "NoSuchVersion": ("The API version does not exist.", "接口版本不存在。"),
    "MissingParameter": ("A required parameter is missing.", "缺少必填参数。"),
    "InvalidParameter": ("A parameter has the wrong format or type.", "参数错误（格式或类型）。"),
    "InvalidParameterValue": ("A parameter value is out of range.", "参数取值错误。"),
    "UnknownParameter": ("An undefined parameter was sent.", "未定义的参数。"),
    "UnsupportedRegion": ("The action is not offered in this region.", "接口不支持所传地域。"),
    "RequestLimitExceeded": ("The request rate limit was exceeded.", "请求的次数超过了频率限制。"),
    "InternalError": ("Internal error; retry later.", "内部错误，请稍后重试。"),
    "AuthFailure.InvalidAuthorization": (
        "The Authorization header is malformed.",
        "请求头部的 Authorization 不符合腾讯云标准。",
    ),
    "AuthFailure.SecretIdNotFound": (
        "The SecretId does not exist or is disabled.",
        "密钥不存在或已被禁用。",
    ),
    "AuthFailure.SignatureExpire": (
        "The signature has expired: the request timestamp is more than 5 minutes from server time.",
        "签名过期。Timestamp 和服务器时间相差不得超过五分钟。",
    ),
    "AuthFailure.SignatureFailure": (
        "The request signature does not match.",
        "签名错误。请检查签名计算过程。",
    ),
    "FailedOperation.JsonParseFail": (
        "The request body is not valid JSON.",
        "解析请求包体时候失败。",
    ),
    "FailedOperation.NotEnterpriseCertification": (
        "The account is not enterprise-certified.",
        "当前账号未进行企业认证。",
    ),
    "FailedOperation.OtherError": (
        "Other error; usually a parameter is malformed.",
        "其他错误，一般是由于参数携带不符合要求导致。",
    ),
    "FailedOperation.MissingSignatureToModify": (
        "The signature does not exist and cannot be modified.",
        "此签名 ID 未提交申请或不存在，不能进行修改操作。",
    ),
    "FailedOperation.SignIdNotExist": ("The SignId does not exist.", "签名 ID 不存在。"),
    "FailedOperation.SignNumberLimit": (
        "The account holds the maximum number of signatures.",
        "签名个数达到最大值。",
    ),
    "FailedOperation.QualificationIdNotApproved": (
        "The qualification has not been approved.",
        "资质未审核通过。",
    ),
    "InvalidParameterValue.ImageInvalid": (
        "The uploaded image is malformed; send base64 without a data-URI prefix.",
        "上传的转码图片格式错误，请去掉 data:image/jpeg;base64, 前缀。",
    ),
    "InvalidParameterValue.InvalidDocumentType": (
        "DocumentType is invalid.",
        "DocumentType 字段校验错误。",
    ),
    "InvalidParameterValue.InvalidInternational": (
        "International is invalid or differs from the signature's.",
        "International 字段校验错误。",
    ),
    "InvalidParameterValue.InvalidUsedMethod": (
        "UsedMethod is invalid.",
        "UsedMethod 字段校验错误。",
    ),
    "InvalidParameterValue.InvalidSignPurpose": (
        "SignPurpose is invalid.",
        "SignPurpose 字段校验错误。",
    ),
    "InvalidParameterValue.LimitVerifyFail": (
        "Limit or the number of ids exceeds 100.",
        "Limit 参数校验失败（不超过100）。",
    ),
    "InvalidParameterValue.QualificationIdNotFound": (
        "The qualification does not exist.",
        "资质 ID 不存在。",
    ),
    "InvalidParameterValue.SignAlreadyPassedCheck": (
        "The signature has already been approved and cannot be changed.",
        "此签名已经通过审核，无法再次进行修改。",
    ),
    "InvalidParameterValue.SignExistAndUnapproved": (
        "An identical signature is already under review.",
        "已存在相同的待审核签名。",
    ),
    "InvalidParameterValue.SignNameLengthTooLong": (
        "The signature name is too long.",
        "签名内容长度过长。",
    ),
    "FailedOperation.MissingSignature": (
        "Apply for a signature before applying for a template.",
        "请先申请签名，再申请模板。",
    ),
    "FailedOperation.TemplateNumberLimit": (
        "The account holds the maximum number of templates.",
        "模板个数达到最大值。",
    ),
    "FailedOperation.TemplateAlreadyPassedCheck": (
        "The template has already been approved and cannot be changed.",
        "此模板已经通过审核，无法再次进行修改。",
    ),
    "FailedOperation.MissingTemplateToModify": (
        "The template does not exist and cannot be modified.",
        "此模板 ID 未提交申请或不存在，不能进行修改操作。",
    ),
    "FailedOperation.TemplateIdNotExist": ("The TemplateId does not exist.", "模板 ID 不存在。"),
    "InvalidParameter.InvalidParameters": ("A parameter is invalid.", "参数校验失败。"),
    "InvalidParameterValue.InvalidSmsType": ("SmsType is invalid.", "SmsType 字段校验错误。"),
    "InvalidParameterValue.InvalidTemplateFormat": (
        "The template content does not follow the format rules.",
        "模板格式错误。",
    ),
    "InvalidParameterValue.MarketingTemplateWithoutUnsubscribe": (
        "A marketing template must tell the recipient how to opt out.",
        "营销短信模板需要添加退订方式。",
    ),
    "UnauthorizedOperation.RequestIpNotInWhitelist": (
        "The caller's IP is not in the allow-list.",
        "请求 IP 不在白名单中。",
    ),
    "UnauthorizedOperation.ServiceSuspendDueToArrears": (
        "The service is suspended because the account is in arrears.",
        "欠费被停止服务。",
    ),
}


SEND_MESSAGES: dict[str, tuple[str, str]] = {
    "FailedOperation.SignatureIncorrectOrUnapproved": (
        "signature format error or signature not approved",
        "签名格式错误或者签名未审批。",
    ),
    "FailedOperation.TemplateIncorrectOrUnapproved": (
        "template not approved or template content does not match",
        "模板未审批或请求的内容与审核通过的模板内容不匹配。",
    ),
    "FailedOperation.TemplateUnapprovedOrNotExist": (
        "template is not approved or does not exist",
        "模板未审核或不存在。",
    ),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (
        "request content does not match the template content",
        "请求内容与审核通过的模板内容不匹配。",
    ),
    "InvalidParameterValue.ContentLengthLimit": (
        "the request content is too long",
        "请求的短信内容太长。",
    ),
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": (
        "a URL is not allowed in a template parameter",
        "禁止在模板变量中使用 URL。",
    ),
    "InvalidParameterValue.TemplateParameterFormatError": (
        "a verification code parameter must be 0 to 6 digits",
        "验证码模板参数格式错误，验证码类模板，模板变量只能传入0 - 6位（包括6位）纯数字。",
    ),
    "InvalidParameterValue.IncorrectPhoneNumber": (
        "the phone number format is incorrect",
        "手机号格式错误。",
    ),
    "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone": (
        "a Chinese mainland template cannot be sent to a number outside the mainland",
        "国内短信模板不支持发送国际/港澳台手机号。",
    ),
    "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone": (
        "a global template cannot be sent to a Chinese mainland number",
        "国际/港澳台短信模板不支持发送国内手机号。",
    ),
    "FailedOperation.PhoneNumberInBlacklist": (
        "the phone number is on the blocklist",
        "手机号在免打扰名单库中。",
    ),
    "LimitExceeded.PhoneNumberThirtySecondLimit": (
        "the number received too many messages within 30 seconds",
        "单个手机号30秒内下发短信条数超过设定的上限。",
    ),
    "LimitExceeded.PhoneNumberOneHourLimit": (
        "the number received too many messages within 1 hour",
        "单个手机号1小时内下发短信条数超过设定的上限。",
    ),
    "LimitExceeded.PhoneNumberDailyLimit": (
        "the number received too many messages today",
        "单个手机号日下发短信条数超过设定的上限。",
    ),
    "LimitExceeded.DeliveryFrequencyLimit": (
        "a sending frequency limit was hit",
        "下发短信命中了频率限制策略。",
    ),
    "FailedOperation.InsufficientBalanceInSmsPackage": (
        "the SMS package balance is insufficient",
        "套餐包余量不足。",
    ),
    "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny": (
        "individual users cannot send marketing SMS",
        "个人用户没有发营销短信的权限。",
    ),
    "MissingParameter.EmptyPhoneNumberSet": (
        "PhoneNumberSet is empty",
        "传入的号码列表为空。",
    ),
    "LimitExceeded.PhoneNumberCountLimit": (
        "more than 200 phone numbers in one request",
        "调用接口单次提交的手机号个数超过200个。",
    ),
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": (
        "mainland and international numbers in one request",
        "群发请求里既有国内手机号也有国际手机号。",
    ),
    "InvalidParameterValue.SdkAppIdNotExist": ("the SdkAppId does not exist", "SdkAppId 不存在。"),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (
        "the SmsSdkAppId does not belong to this account",
        "SmsSdkAppId 校验失败。",
    ),
    "InvalidParameterValue.BeginTimeVerifyFail": (
        "the begin time is invalid or more than 7 days ago",
        "起始时间参数校验失败。",
    ),
    "InvalidParameterValue.EndTimeVerifyFail": (
        "the end time is invalid",
        "结束时间参数校验失败。",
    ),
    "InvalidParameterValue.InvalidStartTime": (
        "the begin time is later than the end time",
        "起始时间晚于结束时间。",
    ),
}
MESSAGES.update(SEND_MESSAGES)

FREQUENCY_CODES = {
    "tencent.30s": "LimitExceeded.PhoneNumberThirtySecondLimit",
    "tencent.1h": "LimitExceeded.PhoneNumberOneHourLimit",
    "tencent.day": "LimitExceeded.PhoneNumberDailyLimit",
}


def send_status(exc: core.SendRefused) -> str:
    """The SendStatusSet `Code` of a number the core refused."""
    match exc:
        case core.SignatureNotApproved():
            return "FailedOperation.SignatureIncorrectOrUnapproved"
        case core.TemplateNotFound():
            return "FailedOperation.TemplateUnapprovedOrNotExist"
        case core.TemplateNotApproved():
            return "FailedOperation.TemplateIncorrectOrUnapproved"
        case core.ParameterMismatch():
            return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        case core.ContentTooLong():
            return "InvalidParameterValue.ContentLengthLimit"
        case core.ParameterRejected(rule="url"):
            return "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"
        case core.ParameterRejected():
            # Only the digits rule is declared here (send_actions.PARAMETER_RULES).
            return "InvalidParameterValue.TemplateParameterFormatError"
        case core.InvalidNumber():
            return "InvalidParameterValue.IncorrectPhoneNumber"
        case core.ScopeMismatch(template_international=True):
            return "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone"
        case core.ScopeMismatch():
            return "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone"
        case core.NumberBlocked():
            return "FailedOperation.PhoneNumberInBlacklist"
        case core.FrequencyLimited():
            return FREQUENCY_CODES.get(exc.limit, "LimitExceeded.DeliveryFrequencyLimit")
        case core.InsufficientBalance():
            return "FailedOperation.InsufficientBalanceInSmsPackage"
        case core.MarketingNotAllowed():
            return "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny"
        case _:
            return "InternalError.OtherError"


def format_error(version: str, detail: str) -> TencentError:
    """A template content that breaks the format rules: 2019 lists no InvalidTemplateFormat."""
    if version == "2019-07-11":
        return TencentError("InvalidParameter.InvalidParameters", detail)
    return TencentError("InvalidParameterValue.InvalidTemplateFormat", detail)


def _template_error(exc: core.SmssignError, action: str, version: str) -> TencentError | None:
    """The template actions' own codes; None where the signature mapping applies."""
    match exc:
        case core.InvalidTemplateContent():
            return format_error(version, exc.reason)
        case core.ScopeImmutable():
            return TencentError("InvalidParameterValue.InvalidInternational", exc.reason)
        case core.InvalidTemplateType():
            return TencentError("InvalidParameterValue.InvalidSmsType", exc.reason)
        case core.InvalidSubmission():
            return TencentError("InvalidParameter.InvalidParameters", f"{exc.field}: {exc.reason}")
        case core.MissingSignature():
            return TencentError("FailedOperation.MissingSignature")
        case core.QuotaExceeded():
            return TencentError("FailedOperation.TemplateNumberLimit")
        case core.NotModifiable():
            return TencentError("FailedOperation.TemplateAlreadyPassedCheck")
        case core.NotFound():
            if action == "DeleteSmsTemplate":
                return TencentError("FailedOperation.TemplateIdNotExist")
            return TencentError("FailedOperation.MissingTemplateToModify")
    return None


def from_core(exc: core.SmssignError, action: str, version: str) -> TencentError:
    """The wire error for a neutral core error, as the action's error list defines it."""
    if action.endswith("Template") or action.endswith("TemplateList"):
        template_error = _template_error(exc, action, version)
        if template_error is not None:
            return template_error
    match exc:
        case core.NoNumbers():
            return TencentError("MissingParameter.EmptyPhoneNumberSet")
        case core.TooManyNumbers():
            return TencentError("LimitExceeded.PhoneNumberCountLimit")
        case core.MixedScope():
            return TencentError("UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber")
        case core.InvalidNumber():
            return TencentError("InvalidParameterValue.IncorrectPhoneNumber")
        case core.NotEnterprise():
            return TencentError("FailedOperation.NotEnterpriseCertification")
        case core.InArrears():
            return TencentError("UnauthorizedOperation.ServiceSuspendDueToArrears")
        case core.IpNotAllowed():
            return TencentError("UnauthorizedOperation.RequestIpNotInWhitelist")
        case core.NameTooLong():
            return TencentError("InvalidParameterValue.SignNameLengthTooLong", exc.reason)
        case core.InvalidName():
            return TencentError("FailedOperation.OtherError", f"SignName: {exc.reason}")
        case core.InvalidSignType():
            return TencentError("InvalidParameterValue", f"SignType: {exc.reason}")
        case core.InvalidDocumentType():
            return TencentError("InvalidParameterValue.InvalidDocumentType", exc.reason)
        case core.InvalidPurpose():
            if action == "ModifySmsSign" and version == "2021-01-11":
                return TencentError("InvalidParameterValue.InvalidSignPurpose")
            return TencentError("InvalidParameterValue.InvalidUsedMethod")
        case core.InvalidScope():
            return TencentError("InvalidParameterValue.InvalidInternational", exc.reason)
        case core.InvalidImage():
            return TencentError("InvalidParameterValue.ImageInvalid", f"{exc.field}: {exc.reason}")
        case core.InvalidSubmission():
            return TencentError("InvalidParameterValue", f"{exc.field}: {exc.reason}")
        case core.QualificationNotFound():
            return TencentError("InvalidParameterValue.QualificationIdNotFound")
        case core.QualificationNotApproved():
            return TencentError("FailedOperation.QualificationIdNotApproved")
        case core.DuplicatePending():
            return TencentError("InvalidParameterValue.SignExistAndUnapproved")
        case core.DuplicateApproved():
            return TencentError("InvalidParameterValue.SignAlreadyPassedCheck")
        case core.QuotaExceeded():
            return TencentError("FailedOperation.SignNumberLimit")
        case core.NotModifiable():
            return TencentError("InvalidParameterValue.SignAlreadyPassedCheck")
        case core.NotFound():
            if action == "DeleteSmsSign":
                return TencentError("FailedOperation.SignIdNotExist")
            return TencentError("FailedOperation.MissingSignatureToModify")
        case core.Conflict():
            return TencentError("FailedOperation.OtherError", "changed concurrently, retry")
        case _:
            return TencentError("InternalError")
