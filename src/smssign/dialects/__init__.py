"""Wire protocols. Each folder translates one provider's requests into core commands and back.

Adding a provider is one folder plus one line in each list below.
"""

from functools import cache

from smssign.core.providers import Providers
from smssign.dialects.tencent_legacy.provider import PROVIDER as TENCENT_LEGACY
from smssign.dialects.tencent_v3.provider import PROVIDER as TENCENT_V3
from smssign.dialects.yunpian.provider import PROVIDER as YUNPIAN

PROVIDERS = (TENCENT_V3, TENCENT_LEGACY, YUNPIAN)
"""Every provider's facts (core/providers.py), in the order accounts get credentials."""


@cache
def registry() -> Providers:
    """`PROVIDERS` as the registry the layers above read (unless they are given another)."""
    return Providers(PROVIDERS)
