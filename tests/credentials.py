"""The credential kinds of the registered dialects, by name, for tests that pick one."""

from __future__ import annotations

from enum import StrEnum

from smssign.dialects.tencent_legacy import provider as tencent_legacy
from smssign.dialects.tencent_v3 import provider as tencent_v3
from smssign.dialects.yunpian import provider as yunpian


class Dialect(StrEnum):
    """Equal to the kind names (`"tencent"`, ...) that credentials are keyed by."""

    TENCENT = tencent_v3.CREDENTIAL
    LEGACY = tencent_legacy.CREDENTIAL
    YUNPIAN = yunpian.CREDENTIAL
