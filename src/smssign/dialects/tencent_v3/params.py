"""Each action's parameter table, and the parser that turns a request into typed values.

The tables are data: name, type, whether required, and in which versions. The parser
rebuilds lists from flattened keys (`SignIdSet.0=…`), coerces the strings of GET and
form requests, and raises MissingParameter, InvalidParameter or UnknownParameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from smssign.dialects.tencent_v3.errors import TencentError

VERSIONS = ("2019-07-11", "2021-01-11")
V2019, V2021 = VERSIONS

COMMON_V1 = frozenset(
    {
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "Signature",
        "SignatureMethod",
        "Token",
        "Language",
        "RequestClient",
    }
)
"""v1 common parameters, which travel beside the action's own and are never 'unknown'."""

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Kind(Enum):
    INTEGER = "Integer"
    STRING = "String"
    INTEGER_LIST = "Array of Integer"
    STRING_LIST = "Array of String"
    DIGITS = "String of digits"
    """A String that some SDK versions sent as a JSON number (ExtendCode), so both go."""


LISTS = frozenset({Kind.INTEGER_LIST, Kind.STRING_LIST})


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    required: bool = False
    versions: tuple[str, ...] = VERSIONS


_SUBMISSION = (
    Param("SignName", Kind.STRING, required=True),
    Param("SignType", Kind.INTEGER, required=True),
    Param("DocumentType", Kind.INTEGER, required=True),
    Param("International", Kind.INTEGER, required=True),
    Param("UsedMethod", Kind.INTEGER, required=True, versions=(V2019,)),
    Param("SignPurpose", Kind.INTEGER, required=True, versions=(V2021,)),
    Param("ProofImage", Kind.STRING, required=True),
    Param("CommissionImage", Kind.STRING),
    Param("Remark", Kind.STRING),
    Param("QualificationId", Kind.INTEGER),
)

_TEMPLATE = (
    Param("TemplateName", Kind.STRING, required=True),
    Param("TemplateContent", Kind.STRING, required=True),
    Param("SmsType", Kind.INTEGER, required=True),
    Param("International", Kind.INTEGER, required=True),
    Param("Remark", Kind.STRING, required=True),
)


def _app(required: bool = True) -> tuple[Param, ...]:
    """The application id, renamed in 2021 (SmsSdkAppid -> SmsSdkAppId)."""
    return (
        Param("SmsSdkAppid", Kind.STRING, required=required, versions=(V2019,)),
        Param("SmsSdkAppId", Kind.STRING, required=required, versions=(V2021,)),
    )


_BY_PHONE = (
    *_app(),
    Param("SendDateTime", Kind.INTEGER, required=True, versions=(V2019,)),
    Param("EndDateTime", Kind.INTEGER, versions=(V2019,)),
    Param("BeginTime", Kind.INTEGER, required=True, versions=(V2021,)),
    Param("EndTime", Kind.INTEGER, versions=(V2021,)),
    Param("Offset", Kind.INTEGER, required=True),
    Param("Limit", Kind.INTEGER, required=True),
    Param("PhoneNumber", Kind.STRING, required=True),
)

ACTIONS: Mapping[str, tuple[Param, ...]] = {
    "SendSms": (
        Param("PhoneNumberSet", Kind.STRING_LIST, required=True),
        *_app(),
        Param("TemplateID", Kind.STRING, required=True, versions=(V2019,)),
        Param("TemplateId", Kind.STRING, required=True, versions=(V2021,)),
        Param("Sign", Kind.STRING, versions=(V2019,)),
        Param("SignName", Kind.STRING, versions=(V2021,)),
        Param("TemplateParamSet", Kind.STRING_LIST),
        Param("ExtendCode", Kind.DIGITS),
        Param("SessionContext", Kind.STRING),
        Param("SenderId", Kind.STRING),
    ),
    "PullSmsSendStatus": (*_app(), Param("Limit", Kind.INTEGER, required=True)),
    "PullSmsReplyStatus": (*_app(), Param("Limit", Kind.INTEGER, required=True)),
    "PullSmsSendStatusByPhoneNumber": _BY_PHONE,
    "PullSmsReplyStatusByPhoneNumber": _BY_PHONE,
    "AddSmsSign": _SUBMISSION,
    "ModifySmsSign": (Param("SignId", Kind.INTEGER, required=True), *_SUBMISSION),
    "DeleteSmsSign": (Param("SignId", Kind.INTEGER, required=True),),
    "DescribeSmsSignList": (
        Param("SignIdSet", Kind.INTEGER_LIST, required=True, versions=(V2019,)),
        Param("SignIdSet", Kind.INTEGER_LIST, versions=(V2021,)),
        Param("International", Kind.INTEGER, required=True),
        Param("Limit", Kind.INTEGER, versions=(V2021,)),
        Param("Offset", Kind.INTEGER, versions=(V2021,)),
    ),
    "AddSmsTemplate": _TEMPLATE,
    "ModifySmsTemplate": (Param("TemplateId", Kind.INTEGER, required=True), *_TEMPLATE),
    "DeleteSmsTemplate": (Param("TemplateId", Kind.INTEGER, required=True),),
    "DescribeSmsTemplateList": (
        Param("TemplateIdSet", Kind.INTEGER_LIST, required=True, versions=(V2019,)),
        Param("TemplateIdSet", Kind.INTEGER_LIST, versions=(V2021,)),
        Param("International", Kind.INTEGER, required=True),
        Param("Limit", Kind.INTEGER, versions=(V2021,)),
        Param("Offset", Kind.INTEGER, versions=(V2021,)),
    ),
}


TABLES: Mapping[tuple[str, str], Mapping[str, Param]] = {
    (action, version): {p.name: p for p in params if version in p.versions}
    for action, params in ACTIONS.items()
    for version in VERSIONS
}
"""(action, version) -> parameter table, built once at import."""

_FLAT_KEY = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9]*)\.(?P<index>[0-9]+)")


def from_json(body: Any, table: Mapping[str, Param]) -> dict[str, Any]:
    """Typed values from a JSON request object (TC3 POST)."""
    if not isinstance(body, dict):
        raise TencentError("FailedOperation.JsonParseFail", "the body must be a JSON object")
    values: dict[str, Any] = {}
    for name, raw in body.items():
        param = table.get(name)
        if param is None:
            raise TencentError("UnknownParameter", name)
        if raw is None:
            continue  # the SDKs drop nulls; a hand-written null means "absent"
        values[name] = _coerce(param, raw)
    return _require(values, table)


def from_flat(pairs: Mapping[str, str], table: Mapping[str, Param]) -> dict[str, Any]:
    """Typed values from flattened query or form pairs (TC3 GET, v1)."""
    values: dict[str, Any] = {}
    lists: dict[str, dict[int, str]] = {}
    for key, raw in pairs.items():
        if key in COMMON_V1:
            continue
        flat = _FLAT_KEY.fullmatch(key)
        if flat is not None:
            param = table.get(flat["name"])
            if param is None or param.kind not in LISTS:
                raise TencentError("UnknownParameter", key)
            # Length first: int() of thousands of digits is refused (and slow).
            if len(flat["index"].lstrip("0")) > 5 or int(flat["index"]) > 10_000:
                raise TencentError("InvalidParameter", key)
            lists.setdefault(param.name, {})[int(flat["index"])] = raw
            continue
        param = table.get(key)
        if param is None:
            raise TencentError("UnknownParameter", key)
        if param.kind in LISTS:
            raise TencentError("InvalidParameter", f"{key} must be sent as {key}.0, {key}.1, …")
        values[key] = _coerce(param, raw)
    for name, items in lists.items():
        indexes = sorted(items)
        if indexes != list(range(len(indexes))):
            raise TencentError("InvalidParameter", f"{name} indexes must be 0, 1, 2, …")
        if table[name].kind is Kind.STRING_LIST:
            values[name] = [items[i] for i in indexes]
        else:
            values[name] = [_integer(name, items[i]) for i in indexes]
    return _require(values, table)


def _require(values: dict[str, Any], table: Mapping[str, Param]) -> dict[str, Any]:
    for param in table.values():
        if param.required and param.name not in values:
            raise TencentError("MissingParameter", param.name)
    return values


def _coerce(param: Param, raw: Any) -> Any:
    match param.kind:
        case Kind.STRING:
            if not isinstance(raw, str):
                raise TencentError("InvalidParameter", f"{param.name} must be a String")
            return raw
        case Kind.INTEGER:
            return _integer(param.name, raw)
        case Kind.INTEGER_LIST:
            if not isinstance(raw, list):
                raise TencentError("InvalidParameter", f"{param.name} must be an Array of Integer")
            return [_integer(param.name, item) for item in raw]
        case Kind.STRING_LIST:
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                raise TencentError("InvalidParameter", f"{param.name} must be an Array of String")
            return list(raw)
        case Kind.DIGITS:
            if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
                return str(raw)
            if not isinstance(raw, str):
                raise TencentError("InvalidParameter", f"{param.name} must be a String")
            return raw


def _integer(name: str, raw: Any) -> int:
    # JSON numbers and numeric strings both occur (Tencent's own docs show "SignId": "1110").
    if isinstance(raw, bool):
        raise TencentError("InvalidParameter", f"{name} must be an Integer")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,19}", raw.strip()):
        value = int(raw)
    else:
        raise TencentError("InvalidParameter", f"{name} must be an Integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise TencentError("InvalidParameter", f"{name} is out of range")
    return value


# --- what the Describe…List actions share -------------------------------------------

MAX_IDS = 100
DEFAULT_LIMIT = 10


def scope_of(params: dict[str, Any]) -> bool:
    value = params["International"]
    if value not in (0, 1):
        raise TencentError("InvalidParameterValue.InvalidInternational")
    return bool(value)


def requested_ids(params: dict[str, Any], name: str) -> list[int]:
    """The ids a Describe…List asks for by `name` (SignIdSet, TemplateIdSet), at most 100."""
    ids: list[int] = params.get(name) or []
    if len(ids) > MAX_IDS:
        raise TencentError("InvalidParameterValue.LimitVerifyFail", f"at most {MAX_IDS} ids")
    return ids


def window(params: dict[str, Any]) -> tuple[int, int]:
    """(offset, limit) of a Describe…List that names no ids: Limit 1 to 100, Offset >= 0."""
    limit: int = params.get("Limit", DEFAULT_LIMIT)
    offset: int = params.get("Offset", 0)
    if not 0 < limit <= MAX_IDS:
        raise TencentError("InvalidParameterValue.LimitVerifyFail", "Limit must be 1 to 100")
    if offset < 0:
        raise TencentError("InvalidParameterValue", "Offset must not be negative")
    return offset, limit
