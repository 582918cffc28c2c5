"""The legacy `sig`: sha256 over `appkey=…&random=…&time=…`, and the clock-skew check.

`random` is whatever the query carried, byte for byte: clients send 6 or 10 digits,
letters, even a Python tuple's repr, and they signed exactly that text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from smssign.dialects.tencent_legacy.errors import BAD_REQUEST, BAD_SIG, BAD_TIME, LegacyError

MAX_SKEW = 600
"""Seconds; Tencent documents "more than 10 minutes" as error 1021."""

_NUMERIC = re.compile(r"-?[0-9]{1,19}")


def sig(appkey: str, random: str, time: int, numbers: str = "") -> str:
    """Lowercase hex sha256 of `appkey=APPKEY&random=RANDOM&time=TIME`, followed by the
    sending actions' numbers part (`&mobile=…` or `&tel=…`, see send_params.py)."""
    text = f"appkey={appkey}&random={random}&time={time}{numbers}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(raw: Any) -> int:
    """`time` as an integer: a JSON integer, or leniently a numeric string."""
    if isinstance(raw, bool) or raw is None:
        raise LegacyError(BAD_REQUEST, "time must be an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and _NUMERIC.fullmatch(raw.strip()):
        return int(raw.strip())
    raise LegacyError(BAD_REQUEST, "time must be an integer")


def check_skew(time: int, now: float) -> None:
    if abs(now - time) > MAX_SKEW:
        raise LegacyError(BAD_TIME)


def verify(presented: str, *, appkey: str, random: str, time: int, numbers: str = "") -> None:
    """Raise 1001 unless `presented` is the sig of (appkey, random, time[, numbers]), in any
    letter case."""
    expected = sig(appkey, random, time, numbers)
    # compare_digest on str refuses non-ASCII text; compare the UTF-8 bytes instead.
    given = presented.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise LegacyError(BAD_SIG)
