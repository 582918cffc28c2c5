"""Each action's body fields as data, and the parser that turns a JSON body into typed values.

`sig` and `time` are the envelope (see auth.py) and every other member a client adds
(`international` on mod_sign, for instance) is ignored, as the legacy service did.
Every type error is result 1004.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from smssign.dialects.tencent_legacy.errors import BAD_REQUEST, LegacyError

MAX_IDS = 100
"""At most this many ids per del_/get_ call (undocumented; the v3 API allows 100)."""
MAX_PAGE = 50
"""`sign_page.max` and `tpl_page.max` (documented for get_template)."""
INT64_MAX = 2**63 - 1

_INTEGER = re.compile(r"-?[0-9]{1,19}")


class Kind(Enum):
    TEXT = "string"
    FLAG = "0 or 1"
    ID = "integer"
    IDS = "integer or array of integers"
    PAGE = "object {max, offset}"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    max: int
    offset: int


ACTIONS: Mapping[str, tuple[Param, ...]] = {
    "add_sign": (
        Param("text", Kind.TEXT, required=True),
        Param("remark", Kind.TEXT),
        Param("pic", Kind.TEXT),
        Param("international", Kind.FLAG),
    ),
    "mod_sign": (
        Param("sign_id", Kind.ID, required=True),
        Param("text", Kind.TEXT, required=True),
        Param("remark", Kind.TEXT),
        Param("pic", Kind.TEXT),
    ),
    "del_sign": (Param("sign_id", Kind.IDS, required=True),),
    "get_sign": (Param("sign_id", Kind.IDS), Param("sign_page", Kind.PAGE)),
    "add_template": (
        Param("text", Kind.TEXT, required=True),
        Param("type", Kind.ID, required=True),
        Param("title", Kind.TEXT),
        Param("remark", Kind.TEXT),
        Param("international", Kind.FLAG),
    ),
    "mod_template": (
        Param("tpl_id", Kind.ID, required=True),
        Param("text", Kind.TEXT, required=True),
        Param("type", Kind.ID, required=True),
        Param("title", Kind.TEXT),
        Param("remark", Kind.TEXT),
    ),
    "del_template": (Param("tpl_id", Kind.IDS, required=True),),
    "get_template": (Param("tpl_id", Kind.IDS), Param("tpl_page", Kind.PAGE)),
}


def parse(body: Mapping[str, Any], action: str) -> dict[str, Any]:
    """Typed values of the action's fields; a JSON null counts as absent."""
    values: dict[str, Any] = {}
    for param in ACTIONS[action]:
        raw = body.get(param.name)
        if raw is None:
            if param.required:
                raise LegacyError(BAD_REQUEST, f"{param.name} is missing")
            continue
        values[param.name] = _coerce(param, raw)
    return values


def _coerce(param: Param, raw: Any) -> Any:
    match param.kind:
        case Kind.TEXT:
            if not isinstance(raw, str):
                raise LegacyError(BAD_REQUEST, f"{param.name} must be a string")
            return raw
        case Kind.FLAG:
            value = _integer(param.name, raw)
            if value not in (0, 1):
                raise LegacyError(BAD_REQUEST, f"{param.name} must be 0 or 1")
            return value
        case Kind.ID:
            return _id(param.name, raw)
        case Kind.IDS:
            items = raw if isinstance(raw, list) else [raw]
            if len(items) > MAX_IDS:
                raise LegacyError(BAD_REQUEST, f"at most {MAX_IDS} ids in {param.name}")
            return [_id(param.name, item) for item in items]
        case Kind.PAGE:
            return _page(param.name, raw)


def _integer(name: str, raw: Any) -> int:
    # Numeric strings are accepted as the v3 dialect accepts them: wrappers differ.
    if isinstance(raw, bool):
        raise LegacyError(BAD_REQUEST, f"{name} must be an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        return int(raw.strip())
    raise LegacyError(BAD_REQUEST, f"{name} must be an integer")


def _id(name: str, raw: Any) -> int:
    value = _integer(name, raw)
    if not -INT64_MAX <= value <= INT64_MAX:
        raise LegacyError(BAD_REQUEST, f"{name} is out of range")
    return value


def _page(name: str, raw: Any) -> Page:
    if not isinstance(raw, dict):
        raise LegacyError(BAD_REQUEST, f"{name} must be an object {{max, offset}}")
    if raw.get("max") is None:
        raise LegacyError(BAD_REQUEST, f"{name}.max is missing")
    size = _integer(f"{name}.max", raw["max"])
    offset = 0 if raw.get("offset") is None else _integer(f"{name}.offset", raw["offset"])
    if not 1 <= size <= MAX_PAGE:
        raise LegacyError(BAD_REQUEST, f"{name}.max must be 1 to {MAX_PAGE}")
    if not 0 <= offset <= 2**31:
        raise LegacyError(BAD_REQUEST, f"{name}.offset must be 0 to {2**31}")
    return Page(size, offset)
