"""Each action's form parameters as data, and the parser that turns form items into values.

A parameter names its kind (which fixes how it is read and the rule it must follow),
whether it is required (else code 1), how often it may repeat, and the parameter it
yields to (`license_base64` is ignored when `license_url` is sent). Every rule that
fails is code 2, with the parameter named in `detail`.

Servlet semantics, as Yunpian's Java servers read forms: a parameter sent twice that may
not repeat takes its first value, and an empty value counts as absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from smssign.core import errors as core
from smssign.core import rules
from smssign.core.model import Image
from smssign.dialects.yunpian.errors import BAD_FORMAT, MISSING, YunpianError

MAX_LICENCE_BYTES = 10 * 1024 * 1024
MAX_ID_CARD_BYTES = 5 * 1024 * 1024
MAX_LICENCES = 7
PHOTO_FORMATS = frozenset({"JPEG", "PNG"})

DEFAULT_INDUSTRY = "其它"
INDUSTRIES = frozenset(
    {
        "游戏",
        "移动应用",
        "视频",
        "教育",  # only in the older list, still accepted
        "IT/通信/电子服务",
        "电子商务",
        "金融",
        "网站",
        "商业服务",
        "房地产/建筑",
        "零售/租赁/贸易",
        "生产/加工/制造",
        "交通/物流",
        "文化传媒",
        "能源/电气",
        "政府企业",
        "农业",
        "物联网",
        "其它",
    }
)

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_DATA_URI = re.compile(r"data:image/(?:jpg|jpeg|png);base64,", re.IGNORECASE)
_ID_CARD_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")
_DIGITS = re.compile(r"[0-9]{1,19}")
_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file sent in a multipart body."""

    filename: str
    content_type: str
    data: bytes


FormValue = str | FilePart


class Kind(Enum):
    TEXT = "text"
    BOOLEAN = "true/false/1/0"
    CHOICE = "one of a set of integers"
    COUNT = "positive integer; anything else is ignored"
    ID = "integer id"
    URL = "http(s) URL"
    INDUSTRY = "industry name; unknown names become 其它"
    LICENCE = "base64 jpg/png with a data:image/…;base64, header, at most 10 MB"
    ID_CARD_NUMBER = "17 digits then a digit or X"
    PHOTO = "jpg/png file, or base64 with a data-URI header, at most 5 MB"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    required: bool = False
    repeat: int = 1
    longest: int = 500
    choices: frozenset[int] = frozenset()
    yields_to: str | None = None


_SUBMISSION = (
    Param("website", Kind.TEXT),
    Param("notify", Kind.BOOLEAN),
    Param("apply_vip", Kind.BOOLEAN),
    Param("is_only_global", Kind.BOOLEAN),
    Param("industry_type", Kind.INDUSTRY),
    Param("prove_type", Kind.CHOICE, choices=frozenset({1, 2, 3, 4, 6})),
    Param("sign_use", Kind.CHOICE, choices=frozenset({0, 1})),
    Param("license_url", Kind.URL, repeat=MAX_LICENCES, longest=2000),
    Param("license_base64", Kind.LICENCE, repeat=MAX_LICENCES, yields_to="license_url"),
    Param("id_card_name", Kind.TEXT, longest=50),
    Param("id_card_number", Kind.ID_CARD_NUMBER),
    Param("id_card_front", Kind.PHOTO, yields_to="id_card_front_url"),
    Param("id_card_back", Kind.PHOTO, yields_to="id_card_back_url"),
    Param("id_card_front_url", Kind.URL, longest=2000),
    Param("id_card_back_url", Kind.URL, longest=2000),
)

_TEMPLATE_OPTIONS = (
    Param("notify_type", Kind.CHOICE, choices=frozenset({0, 1, 2, 3})),
    Param("tplType", Kind.CHOICE, choices=frozenset({0, 1})),
    Param("tpl_type", Kind.CHOICE, choices=frozenset({0, 1})),
    Param("website", Kind.TEXT),
    Param("callback", Kind.URL, longest=2000),
    Param("callback_url", Kind.URL, longest=2000),
)

ACTIONS: Mapping[str, tuple[Param, ...]] = {
    "add": (Param("sign", Kind.TEXT, required=True, longest=100), *_SUBMISSION),
    "update": (
        Param("old_sign", Kind.TEXT, longest=100),
        Param("sign_id", Kind.ID),
        Param("id", Kind.ID),
        Param("sign", Kind.TEXT, longest=100),
        *_SUBMISSION,
    ),
    "get": (
        Param("sign", Kind.TEXT, longest=100),
        Param("id", Kind.ID),
        Param("page_num", Kind.COUNT),
        Param("page_size", Kind.COUNT),
    ),
    "tpl_add": (
        Param("tpl_content", Kind.TEXT, required=True, longest=600),
        *_TEMPLATE_OPTIONS,
    ),
    "tpl_update": (
        Param("tpl_id", Kind.ID, required=True),
        Param("tpl_content", Kind.TEXT, required=True, longest=600),
        *_TEMPLATE_OPTIONS,
    ),
    "tpl_get": (Param("tpl_id", Kind.ID),),
    "tpl_del": (Param("tpl_id", Kind.ID, required=True),),
    "tpl_get_default": (Param("tpl_id", Kind.ID),),
}


def first(items: Sequence[tuple[str, FormValue]], name: str) -> FormValue | None:
    for key, value in items:
        if key == name and value != "":
            return value
    return None


def parse(items: Sequence[tuple[str, FormValue]], action: str) -> dict[str, Any]:
    """Typed values of the action's parameters; unknown parameters are ignored."""
    sent: dict[str, list[FormValue]] = {}
    for key, value in items:
        if value != "":
            sent.setdefault(key, []).append(value)
    values: dict[str, Any] = {}
    for param in ACTIONS[action]:
        raw = sent.get(param.name)
        if not raw or (param.yields_to is not None and param.yields_to in sent):
            if param.required:
                raise YunpianError(MISSING, f"参数 {param.name} 必须传入")
            continue
        if param.repeat == 1:
            values[param.name] = _coerce(param, raw[0])
            continue
        if len(raw) > param.repeat:
            raise YunpianError(BAD_FORMAT, f"{param.name} 最多 {param.repeat} 个")
        values[param.name] = [_coerce(param, item) for item in raw]
    return values


def _coerce(param: Param, raw: FormValue) -> Any:
    if param.kind is Kind.PHOTO:
        return _photo(param.name, raw)
    if isinstance(raw, FilePart):
        raise YunpianError(BAD_FORMAT, f"{param.name} must be a text value, not a file")
    if len(raw) > param.longest and param.kind is not Kind.LICENCE:
        raise YunpianError(BAD_FORMAT, f"{param.name} 长度不能超过 {param.longest}")
    match param.kind:
        case Kind.TEXT:
            return raw
        case Kind.BOOLEAN:
            value = _BOOLEANS.get(raw.strip().lower())
            if value is None:
                raise YunpianError(BAD_FORMAT, f"{param.name} 必须是 true 或 false")
            return value
        case Kind.CHOICE:
            text = raw.strip()
            if not _DIGITS.fullmatch(text) or int(text) not in param.choices:
                allowed = ", ".join(str(c) for c in sorted(param.choices))
                raise YunpianError(BAD_FORMAT, f"{param.name} 取值为 {allowed}")
            return int(text)
        case Kind.COUNT:
            # Yunpian: "absent or malformed returns everything", so bad values are dropped.
            text = raw.strip()
            if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
                return None
            return int(text)
        case Kind.ID:
            text = raw.strip()
            if not _DIGITS.fullmatch(text) or int(text) > 2**63 - 1:
                raise YunpianError(BAD_FORMAT, f"{param.name} 必须是整数")
            return int(text)
        case Kind.URL:
            if not _URL.fullmatch(raw.strip()):
                raise YunpianError(BAD_FORMAT, f"{param.name} 必须是 http(s) 地址")
            return raw  # stored as given, never fetched
        case Kind.INDUSTRY:
            return raw if raw in INDUSTRIES else DEFAULT_INDUSTRY
        case Kind.LICENCE:
            return _data_uri_image(param.name, raw, MAX_LICENCE_BYTES)
        case Kind.ID_CARD_NUMBER:
            if not _ID_CARD_NUMBER.fullmatch(raw.strip()):
                raise YunpianError(BAD_FORMAT, f"{param.name} 必须是18位身份证号")
            return raw.strip()
    raise AssertionError(param.kind)  # pragma: no cover - every kind is handled above


def _data_uri_image(name: str, raw: str, max_bytes: int) -> Image:
    header = _DATA_URI.match(raw.lstrip())
    if header is None:
        raise YunpianError(BAD_FORMAT, f"{name} 需带 data:image/jpg;base64, 头")
    # Unencoded `+` arrives as a space; a space is never base64, so it must have been `+`.
    payload = raw.lstrip()[header.end() :].replace(" ", "+")
    try:
        data = rules.decode_base64(payload, field=name)
    except core.InvalidImage as exc:
        raise YunpianError(BAD_FORMAT, f"{name}: {exc.reason}") from exc
    return _image(name, data, max_bytes)


def _photo(name: str, raw: FormValue) -> Image:
    if isinstance(raw, FilePart):
        return _image(name, raw.data, MAX_ID_CARD_BYTES)
    return _data_uri_image(name, raw, MAX_ID_CARD_BYTES)


def _image(name: str, data: bytes, max_bytes: int) -> Image:
    try:
        image = rules.load_image(data, field=name, max_bytes=max_bytes)
    except core.InvalidImage as exc:
        raise YunpianError(BAD_FORMAT, f"{name}: {exc.reason}") from exc
    if image.format not in PHOTO_FORMATS:
        raise YunpianError(BAD_FORMAT, f"{name}: 只支持 jpg/jpeg/png")
    return image
