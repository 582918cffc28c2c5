"""Yunpian authentication: the `apikey` form parameter is the whole credential."""

from __future__ import annotations

from collections.abc import Sequence

from smssign.app.runtime import Runtime
from smssign.core.model import Account
from smssign.dialects.yunpian.errors import BAD_APIKEY, MISSING, YunpianError
from smssign.dialects.yunpian.params import FormValue, first
from smssign.dialects.yunpian.provider import CREDENTIAL

MAX_APIKEY = 200
"""Longer than any key we issue; longer values are refused without a lookup."""


async def authenticate(runtime: Runtime, items: Sequence[tuple[str, FormValue]]) -> Account:
    """The account whose active key is the first `apikey` value (code 1 if none, -1 if bad)."""
    apikey = first(items, "apikey")
    if apikey is None or (isinstance(apikey, str) and not apikey.strip()):
        raise YunpianError(MISSING, "参数 apikey 必须传入")
    if not isinstance(apikey, str) or len(apikey) > MAX_APIKEY:
        raise YunpianError(BAD_APIKEY, "apikey不正确或没有授权")
    found = await runtime.repository.authenticate(CREDENTIAL, apikey.strip())
    if found is None:
        raise YunpianError(BAD_APIKEY, "apikey不正确或没有授权")
    return found[1]
