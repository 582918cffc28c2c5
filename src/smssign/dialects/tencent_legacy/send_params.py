"""The sending and pulling actions' bodies: typed values, and the numbers part of their sig.

`sendsms`, `sendisms` and `sendmultisms2` sign the numbers they send to; the sig check
runs before the fields are typed, so `signed_numbers` reads them from the raw body, each
as the client wrote it (a JSON string as is, a JSON number by its decimal text: the
Python SDK signs whatever the caller passed). Every type error is result 1004.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smssign.dialects.tencent_legacy.errors import BAD_REQUEST, LegacyError

SEND_ACTIONS = frozenset({"sendsms", "sendisms", "sendmultisms2"})
PULL_ACTIONS = frozenset({"pullstatus", "pullstatus4mobile"})
MOST_PULLED = 100
"""`max` of a pull, as documented."""

_INTEGER = re.compile(r"-?[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class Tel:
    """One number as the request wrote it (both parts as text)."""

    nationcode: str
    mobile: str


@dataclass(frozen=True, slots=True)
class Content:
    """What to send: a template and its values, or free text to match (`msg`)."""

    tpl_id: int | None
    params: tuple[str, ...]
    sign: str
    msg: str | None
    type: int


def signed_numbers(action: str, body: Mapping[str, Any]) -> str:
    """The part the sig covers after `time`: `&mobile=…`, `&tel=…`, or "" (pulls)."""
    if action == "sendisms":
        return "&tel=" + _text("tel", body.get("tel"))
    if action == "sendsms":
        tel = body.get("tel")
        if not isinstance(tel, dict):
            raise LegacyError(BAD_REQUEST, "tel must be an object {nationcode, mobile}")
        return "&mobile=" + _text("tel.mobile", tel.get("mobile"))
    if action == "sendmultisms2":
        tels = body.get("tel")
        if not isinstance(tels, list) or not all(isinstance(item, dict) for item in tels):
            raise LegacyError(BAD_REQUEST, "tel must be an array of {nationcode, mobile}")
        # The Python SDK signs no mobile part at all for an empty list.
        mobiles = [_text("tel.mobile", item.get("mobile")) for item in tels]
        return "&mobile=" + ",".join(mobiles) if mobiles else ""
    return ""


def _text(name: str, raw: Any) -> str:
    """A string or number field as text (what clients sign and what the reply echoes)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    raise LegacyError(BAD_REQUEST, f"{name} must be a string")


def _string(body: Mapping[str, Any], name: str, default: str = "") -> str:
    raw = body.get(name)
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise LegacyError(BAD_REQUEST, f"{name} must be a string")
    return raw


def _integer(name: str, raw: Any) -> int:
    if raw is None:
        raise LegacyError(BAD_REQUEST, f"{name} is missing")
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        raise LegacyError(BAD_REQUEST, f"{name} must be an integer")
    if not -(2**63) < value < 2**63:
        raise LegacyError(BAD_REQUEST, f"{name} is out of range")
    return value


def _tel(raw: Any) -> Tel:
    if not isinstance(raw, dict):
        raise LegacyError(BAD_REQUEST, "tel must be an object {nationcode, mobile}")
    if raw.get("nationcode") is None or raw.get("mobile") is None:
        raise LegacyError(BAD_REQUEST, "tel needs nationcode and mobile")
    return Tel(_text("tel.nationcode", raw["nationcode"]), _text("tel.mobile", raw["mobile"]))


def _content(body: Mapping[str, Any]) -> Content:
    sign = _string(body, "sign")
    msg = body.get("msg")
    if msg is not None:
        if body.get("tpl_id") is not None:
            raise LegacyError(BAD_REQUEST, "tpl_id and msg are mutually exclusive")
        if not isinstance(msg, str) or not msg.strip():
            raise LegacyError(BAD_REQUEST, "msg must be a non-empty string")
        kind = 0 if body.get("type") is None else _integer("type", body["type"])
        if kind not in (0, 1):
            raise LegacyError(BAD_REQUEST, "type must be 0 (normal) or 1 (marketing)")
        return Content(None, (), sign, msg, kind)
    if body.get("tpl_id") is None:
        raise LegacyError(BAD_REQUEST, "tpl_id (or msg) is missing")
    tpl_id = _integer("tpl_id", body["tpl_id"])
    raw = body.get("params")
    if raw is None:
        raise LegacyError(BAD_REQUEST, "params is missing")
    if not isinstance(raw, list):
        raise LegacyError(BAD_REQUEST, "params must be an array")
    # Clients send strings; the Python and Node SDKs pass numbers through as they came.
    values = tuple(_text("params[]", value) for value in raw)
    return Content(tpl_id, values, sign, None, 0)


def parse_send(body: Mapping[str, Any], action: str) -> dict[str, Any]:
    """`tel` (a Tel, a list of them, or the E.164 text of sendisms), `content`, `ext`, `extend`."""
    if action == "sendisms":
        tel: Any = _text("tel", body.get("tel")) if body.get("tel") is not None else None
        if tel is None:
            raise LegacyError(BAD_REQUEST, "tel is missing")
    elif action == "sendsms":
        tel = _tel(body.get("tel"))
    else:
        raw = body.get("tel")
        if not isinstance(raw, list):
            raise LegacyError(BAD_REQUEST, "tel must be an array of {nationcode, mobile}")
        tel = [_tel(item) for item in raw]
    return {
        "tel": tel,
        "content": _content(body),
        "ext": _string(body, "ext"),
        "extend": _string(body, "extend"),
    }


def parse_pull(body: Mapping[str, Any], action: str) -> dict[str, Any]:
    """`type` (0 reports, 1 replies) and `max`; by number also the range and the number."""
    kind = _integer("type", body.get("type"))
    if kind not in (0, 1):
        raise LegacyError(BAD_REQUEST, "type must be 0 (status reports) or 1 (replies)")
    most = _integer("max", body.get("max"))
    if not 1 <= most <= MOST_PULLED:
        raise LegacyError(BAD_REQUEST, f"max must be 1 to {MOST_PULLED}")
    values: dict[str, Any] = {"type": kind, "max": most}
    if action == "pullstatus4mobile":
        begin = _integer("begin_time", body.get("begin_time"))
        end = _integer("end_time", body.get("end_time"))
        if begin < 0 or end < begin:
            raise LegacyError(BAD_REQUEST, "begin_time must be ≥ 0 and not after end_time")
        values["begin_time"], values["end_time"] = begin, end
        values["tel"] = _tel({"nationcode": body.get("nationcode"), "mobile": body.get("mobile")})
    return values


def parse(body: Mapping[str, Any], action: str) -> dict[str, Any]:
    if action in SEND_ACTIONS:
        return parse_send(body, action)
    return parse_pull(body, action)
