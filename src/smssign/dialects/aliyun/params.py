"""Each action's parameters as data, and the parser that types the merged query and form.

Alibaba's gateway ignores parameters it does not know (the common ones, `RegionId`,
`OwnerId` …), so only the action's own are read. A required one that is absent or empty
is `Missing{Name}` (HTTP 400); one of the wrong type is `InvalidParameter`.
`SignFileList` arrives flattened and 1-based (`SignFileList.1.FileContents`), JSON arrays
(`MoreData`, `UsableStateList`) as JSON text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from smssign.dialects.aliyun.errors import AliyunError, missing

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MOST_FILES = 10


class Kind(Enum):
    STRING = "String"
    INTEGER = "Integer"
    BOOLEAN = "Boolean"
    LIST = "JSON array of String"
    FILES = "SignFileList"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind = Kind.STRING
    required: bool = False


@dataclass(frozen=True, slots=True)
class SignFile:
    contents: str
    suffix: str


_PAGE = (Param("PageIndex", Kind.INTEGER), Param("PageSize", Kind.INTEGER))
_SIGN_NAME = (Param("SignName", required=True),)
_TEMPLATE_CODE = (Param("TemplateCode", required=True),)

_OLD_SIGN = (
    Param("SignName", required=True),
    Param("SignSource", Kind.INTEGER, required=True),
    Param("Remark", required=True),
    Param("SignFileList", Kind.FILES),
    Param("SignType", Kind.INTEGER),
)
_NEW_SIGN = (
    Param("SignName", required=True),
    Param("SignSource", Kind.INTEGER, required=True),
    Param("QualificationId", Kind.INTEGER, required=True),
    Param("SignType", Kind.INTEGER),
    Param("Remark"),
    Param("MoreData", Kind.LIST),
    Param("ApplySceneContent"),
    Param("ThirdParty", Kind.BOOLEAN),
    Param("AuthorizationLetterId", Kind.INTEGER),
    Param("TrademarkId", Kind.INTEGER),
    Param("AppIcpRecordId", Kind.INTEGER),
)
_OLD_TEMPLATE = (
    Param("TemplateType", Kind.INTEGER, required=True),
    Param("TemplateName", required=True),
    Param("TemplateContent", required=True),
    Param("Remark"),
)
_NEW_TEMPLATE = (
    Param("TemplateName", required=True),
    Param("TemplateContent", required=True),
    Param("TemplateType", Kind.INTEGER, required=True),
    Param("RelatedSignName"),
    Param("TemplateRule"),
    Param("Remark"),
    Param("ApplySceneContent"),
    Param("IntlType", Kind.INTEGER),
    Param("MoreData", Kind.LIST),
    Param("TrafficDriving"),
)

ACTIONS: Mapping[str, tuple[Param, ...]] = {
    "AddSmsSign": _OLD_SIGN,
    "ModifySmsSign": _OLD_SIGN,
    "QuerySmsSign": _SIGN_NAME,
    "DeleteSmsSign": _SIGN_NAME,
    "QuerySmsSignList": _PAGE,
    "CreateSmsSign": _NEW_SIGN,
    "UpdateSmsSign": _NEW_SIGN,
    "GetSmsSign": _SIGN_NAME,
    "AddSmsTemplate": _OLD_TEMPLATE,
    "ModifySmsTemplate": (*_TEMPLATE_CODE, *_OLD_TEMPLATE),
    "QuerySmsTemplate": _TEMPLATE_CODE,
    "DeleteSmsTemplate": _TEMPLATE_CODE,
    "QuerySmsTemplateList": _PAGE,
    "CreateSmsTemplate": _NEW_TEMPLATE,
    "UpdateSmsTemplate": (*_TEMPLATE_CODE, *_NEW_TEMPLATE),
    "GetSmsTemplate": _TEMPLATE_CODE,
    "GetSmsTemplateList": (
        *_PAGE,
        Param("TemplateCode"),
        Param("TemplateName"),
        Param("SignName"),
        Param("TemplateType", Kind.INTEGER),
        Param("AuditStatus", Kind.INTEGER),
        Param("TemplateTag"),
        Param("UsableStateList", Kind.LIST),
    ),
    # Sending and its queries. The *Json arrays are read by send_actions.py, which
    # answers their faults with business codes rather than InvalidParameter.
    "SendSms": (
        Param("PhoneNumbers", required=True),
        Param("SignName", required=True),
        Param("TemplateCode", required=True),
        Param("TemplateParam"),
        Param("SmsUpExtendCode"),
        Param("OutId"),
    ),
    "SendBatchSms": (
        Param("PhoneNumberJson", required=True),
        Param("SignNameJson", required=True),
        Param("TemplateCode", required=True),
        Param("TemplateParamJson"),
        Param("SmsUpExtendCodeJson"),
        Param("OutId"),
    ),
    "QuerySendDetails": (
        Param("PhoneNumber", required=True),
        Param("SendDate", required=True),
        Param("PageSize", Kind.INTEGER, required=True),
        Param("CurrentPage", Kind.INTEGER, required=True),
        Param("BizId"),
    ),
    "QuerySendStatistics": (
        Param("IsGlobe", Kind.INTEGER, required=True),
        Param("StartDate", required=True),
        Param("EndDate", required=True),
        Param("PageIndex", Kind.INTEGER, required=True),
        Param("PageSize", Kind.INTEGER, required=True),
        Param("TemplateType", Kind.INTEGER),
        Param("SignName"),
    ),
}

_FILE_KEY = re.compile(r"SignFileList\.([0-9]{1,3})\.(FileContents|FileSuffix)")


def parse(action: str, pairs: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in ACTIONS[action]:
        if param.kind is Kind.FILES:
            files = _files(pairs)
            if files:
                values[param.name] = files
            continue
        raw = pairs.get(param.name)
        if raw is None or raw == "":
            if param.required:
                raise missing(param.name)
            continue
        values[param.name] = _coerce(param, raw)
    return values


def _coerce(param: Param, raw: str) -> Any:
    match param.kind:
        case Kind.STRING:
            return raw
        case Kind.INTEGER:
            if not re.fullmatch(r"-?[0-9]{1,19}", raw.strip()):
                raise AliyunError("InvalidParameter", f"{param.name} must be an integer")
            value = int(raw)
            if not INT64_MIN <= value <= INT64_MAX:
                raise AliyunError("InvalidParameter", f"{param.name} is out of range")
            return value
        case Kind.BOOLEAN:
            # Python Tea sends True/False, Node true/false.
            lowered = raw.strip().lower()
            if lowered not in ("true", "false"):
                raise AliyunError("InvalidParameter", f"{param.name} must be true or false")
            return lowered == "true"
        case Kind.LIST:
            try:
                decoded = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise AliyunError("InvalidParameter", f"{param.name} must be a JSON array") from exc
            if not isinstance(decoded, list) or not all(isinstance(i, str) for i in decoded):
                raise AliyunError("InvalidParameter", f"{param.name}: strings only")
            return decoded
        case Kind.FILES:  # pragma: no cover - read by _files
            raise AssertionError(param)


def _files(pairs: Mapping[str, str]) -> list[SignFile]:
    found: dict[int, dict[str, str]] = {}
    for key, value in pairs.items():
        if not key.startswith("SignFileList"):
            continue
        match = _FILE_KEY.fullmatch(key)
        if match is None:
            raise AliyunError("InvalidParameter", f"{key}: write SignFileList.N.FileContents")
        found.setdefault(int(match[1]), {})[match[2]] = value
    if not found:
        return []
    if sorted(found) != list(range(1, len(found) + 1)):
        raise AliyunError("InvalidParameter", "SignFileList indexes must run 1, 2, 3, …")
    if len(found) > MOST_FILES:
        raise AliyunError("isv.INVALID_PARAMETERS", f"at most {MOST_FILES} files")
    files = []
    for index in sorted(found):
        item = found[index]
        for part in ("FileContents", "FileSuffix"):
            if not item.get(part):
                raise missing(f"SignFileList.{index}.{part}")
        files.append(SignFile(item["FileContents"], item["FileSuffix"]))
    return files
