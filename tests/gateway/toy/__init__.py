"""A toy dialect living in the test tree: one folder, like every provider under dialects/.

`provider.py` declares its facts (credential kinds, limits, names), `protocol.py` its wire
protocol; `PROVIDERS` is the registry with the toy beside the registered providers.
"""

from smssign.core.providers import Providers
from smssign.dialects import PROVIDERS as REGISTERED
from tests.gateway.toy.protocol import PROTOCOL
from tests.gateway.toy.provider import PROVIDER

PROVIDERS = Providers((*REGISTERED, PROVIDER))

__all__ = ["PROTOCOL", "PROVIDER", "PROVIDERS"]
