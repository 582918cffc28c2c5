"""Parameter tables of the sending, pull and account actions (spec §3.1, §4, §5), as data.

What is Yunpian's own wire form is decoded here: `mobile` as a comma-separated list (a
`+` sent unencoded arrives as a space), `multi_send`'s texts url-encoded once more and
joined with commas (§3.4), `tpl_value` as url-encoded `#name#=value` pairs (§3.5). What
the numbers, the signature or the template must be is the sending core's to check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from smssign.dialects.yunpian import form
from smssign.dialects.yunpian.errors import BAD_FORMAT, MISSING, YunpianError
from smssign.dialects.yunpian.params import FilePart, FormValue

MOST_MOBILES = 1000
"""Numbers of one batch request, as the batch pages document."""
LONGEST_TEXT = 2000
"""Characters of a text as received; the core holds a message to its own, shorter bound."""
LONGEST_UID = 256
LONGEST_EXTEND = 20
LONGEST_URL = 2000
DEFAULT_PAGE_SIZE = 20
MOST_PAGE_SIZE = 100

_MAINLAND = re.compile(r"1[3-9][0-9]{9}")
_EXTEND = re.compile(r"[0-9]{1,20}")
_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class Kind(Enum):
    MOBILES = "mobile numbers, comma-separated"
    TEXT = "text"
    TEXTS = "url-encoded texts, comma-separated (multi_send)"
    TPL_ID = "template id (long)"
    TPL_VALUE = "url-encoded #name#=value pairs joined with &"
    UID = "caller's id, at most 256 characters"
    EXTEND = "extension digits"
    URL = "http(s) URL"
    BOOLEAN = "true/false"
    PAGE_SIZE = "1 to 100"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    required: bool = False
    blank: bool = False
    """Whether "" is a value (tpl_value of a template without variables), not an absence."""


_COMMON = (
    Param("uid", Kind.UID),
    Param("extend", Kind.EXTEND),
    Param("callback_url", Kind.URL),
)
_TEMPLATE = (
    Param("mobile", Kind.MOBILES, required=True),
    Param("tpl_id", Kind.TPL_ID, required=True),
    Param("tpl_value", Kind.TPL_VALUE, required=True, blank=True),
    *_COMMON,
)

ACTIONS: Mapping[str, tuple[Param, ...]] = {
    "single_send": (
        Param("mobile", Kind.MOBILES, required=True),
        Param("text", Kind.TEXT, required=True),
        *_COMMON,
        Param("register", Kind.BOOLEAN),
        Param("mobile_stat", Kind.BOOLEAN),
    ),
    "batch_send": (
        Param("mobile", Kind.MOBILES, required=True),
        Param("text", Kind.TEXT, required=True),
        *_COMMON,
        Param("mobile_stat", Kind.BOOLEAN),
    ),
    "multi_send": (
        Param("mobile", Kind.MOBILES, required=True),
        Param("text", Kind.TEXTS, required=True),
        *_COMMON,
    ),
    "tpl_single_send": _TEMPLATE,
    "tpl_batch_send": _TEMPLATE,
    "pull_status": (Param("page_size", Kind.PAGE_SIZE),),
    "pull_reply": (Param("page_size", Kind.PAGE_SIZE),),
    "user_get": (),
}


def parse(items: Sequence[tuple[str, FormValue]], action: str) -> dict[str, Any]:
    """Typed values of the action's parameters (the first of each name); unknown ones are
    ignored. `apikey` rides along: pull_reply signs its items with it."""
    values: dict[str, Any] = {}
    for param in ACTIONS[action]:
        raw = _first(items, param)
        if raw is None:
            if param.required:
                raise YunpianError(MISSING, f"参数 {param.name} 必须传入")
            continue
        values[param.name] = _coerce(param, raw)
    apikey = _first(items, Param("apikey", Kind.TEXT))
    if isinstance(apikey, str):
        values["apikey"] = apikey.strip()
    return values


def _first(items: Sequence[tuple[str, FormValue]], param: Param) -> FormValue | None:
    blank: FormValue | None = None
    for key, value in items:
        if key != param.name:
            continue
        if value != "":
            return value
        blank = value
    return blank if param.blank else None


def _coerce(param: Param, raw: FormValue) -> Any:
    if isinstance(raw, FilePart):
        raise YunpianError(BAD_FORMAT, f"参数 {param.name} 不能是文件")
    name = param.name
    match param.kind:
        case Kind.MOBILES:
            return mobiles(raw)
        case Kind.TEXT:
            if len(raw) > LONGEST_TEXT:
                raise YunpianError(BAD_FORMAT, f"参数 {name} 长度不能超过 {LONGEST_TEXT}")
            return raw
        case Kind.TEXTS:
            return texts(raw)
        case Kind.TPL_ID:
            text = raw.strip()
            if not text.isascii() or not text.isdigit() or len(text) > 18:
                raise YunpianError(BAD_FORMAT, f"参数 tpl_id 格式不正确，tpl_id:{raw[:40]}")
            return int(text)
        case Kind.TPL_VALUE:
            return tpl_value(raw)
        case Kind.UID:
            if len(raw) > LONGEST_UID:
                raise YunpianError(BAD_FORMAT, f"参数 uid 长度不能超过 {LONGEST_UID}")
            return raw
        case Kind.EXTEND:
            if not _EXTEND.fullmatch(raw.strip()):
                raise YunpianError(BAD_FORMAT, f"参数 extend 须为不超过 {LONGEST_EXTEND} 位的数字")
            return raw.strip()
        case Kind.URL:
            if len(raw) > LONGEST_URL or not _URL.fullmatch(raw.strip()):
                raise YunpianError(BAD_FORMAT, f"参数 {name} 必须是 http(s) 地址")
            return raw.strip()
        case Kind.BOOLEAN:
            value = _BOOLEANS.get(raw.strip().lower())
            if value is None:
                raise YunpianError(BAD_FORMAT, f"参数 {name} 必须是 true 或 false")
            return value
        case Kind.PAGE_SIZE:
            text = raw.strip()
            if not text.isascii() or not text.isdigit() or not 1 <= int(text[:4]) <= 100:
                raise YunpianError(BAD_FORMAT, f"参数 page_size 取值为 1-{MOST_PAGE_SIZE}")
            return int(text)
    raise AssertionError(param.kind)  # pragma: no cover - every kind is handled above


def mobiles(raw: str) -> list[str]:
    """The numbers of a `mobile` value, as written. An unencoded `+` has become a space
    by now: a number after a space is international, unless it is a mainland number (a
    list written `a, b`)."""
    if len(raw) > MOST_MOBILES * 24:
        raise YunpianError(BAD_FORMAT, f"参数 mobile 最多 {MOST_MOBILES} 个号码")
    found: list[str] = []
    for piece in raw.split(","):
        stripped = piece.strip()
        if piece[:1] == " " and stripped.isdigit() and not _MAINLAND.fullmatch(stripped):
            stripped = "+" + stripped
        found.append(stripped)
    return found


def texts(raw: str) -> list[str]:
    """multi_send's texts: the form value split on commas, each url-decoded once more."""
    if len(raw) > MOST_MOBILES * LONGEST_TEXT:
        raise YunpianError(BAD_FORMAT, "参数 text 过长")
    decoded: list[str] = []
    for piece in raw.split(","):
        try:
            text = form.unquote_plus(piece)
        except UnicodeDecodeError as exc:
            raise YunpianError(BAD_FORMAT, "参数 text 须为 UTF-8 url 编码后以逗号连接") from exc
        if len(text) > LONGEST_TEXT:
            raise YunpianError(BAD_FORMAT, f"参数 text 每条长度不能超过 {LONGEST_TEXT}")
        decoded.append(text)
    return decoded


def tpl_value(raw: str) -> dict[str, str]:
    """Variable name (without its #s) -> value. Both the documented form (names and values
    url-encoded) and the raw one (`#code#=1234`) decode the same; the first value of a
    name counts."""
    if len(raw) > LONGEST_TEXT * 3:
        raise YunpianError(BAD_FORMAT, "参数 tpl_value 过长")
    values: dict[str, str] = {}
    if not raw.strip():
        return values
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise YunpianError(BAD_FORMAT, "参数 tpl_value 格式不正确") from exc
    for name, value in pairs:
        bare = name.strip().strip("#")
        if not bare or value == "":
            raise YunpianError(BAD_FORMAT, "tpl_value: 变量名和变量值都不能为空")
        values.setdefault(bare, value)
    return values
