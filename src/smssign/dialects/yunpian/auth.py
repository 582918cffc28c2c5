"""Yunpian authentication: the `apikey` form parameter is the whole credential."""

from __future__ import annotations

from smssign.dialects.yunpian.errors import BAD_APIKEY, MISSING, YunpianError
from smssign.dialects.yunpian.params import FormValue

CREDENTIAL = "yunpian"
"""The credential kind's name: the database value and the `accounts create --json` key
(provider.py declares the kind)."""
MAX_APIKEY = 200
"""Longer than any key we issue; longer values are refused without a lookup."""


def key_id(apikey: FormValue | None) -> str:
    """The key to look up, from the first non-empty `apikey` value (code 1 if none, -1 if
    it cannot be a key)."""
    if apikey is None or (isinstance(apikey, str) and not apikey.strip()):
        raise YunpianError(MISSING, "参数 apikey 必须传入")
    if not isinstance(apikey, str) or len(apikey) > MAX_APIKEY:
        raise unknown_key()
    return apikey.strip()


def unknown_key() -> YunpianError:
    return YunpianError(BAD_APIKEY, "apikey不正确或没有授权")
