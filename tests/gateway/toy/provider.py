"""The toy provider's facts: a signed credential and a bearer key, limits and faces."""

from __future__ import annotations

from collections.abc import Sequence

from smssign.core.model import Credential
from smssign.core.providers import AtRest, CredentialKind, Provider, RandomKey
from smssign.core.rules import HAN_ALNUM, NameRule


def _demo(credential: Credential, account_id: int) -> Sequence[str]:
    return [f"  toy token: {credential.key_id}"]


SIGNED = CredentialKind(
    name="toy",
    key_field="token_id",
    secret_field="token_secret",
    key_label="TokenId",
    secret_label="TokenSecret",
    issue=RandomKey("TOY"),
    at_rest=AtRest.SEALED,
    display="Toy",
    demo=_demo,
)
BEARER = CredentialKind(
    name="toybearer",
    key_field="bearer",
    secret_field=None,
    key_label="Bearer",
    secret_label=None,
    issue=RandomKey(),
    at_rest=AtRest.HASHED,
    display="Toy",
)

PROVIDER = Provider(
    name="toy",
    title="Toy signed JSON",
    title_zh="玩具协议",
    vendor="Toy Cloud",
    vendor_zh="玩具云",
    credentials=(SIGNED, BEARER),
    rate_limits={"Ping": "3/second", "describe_signature": "3/minute"},
    name_rules={"mainland": NameRule(2, 8, HAN_ALNUM, "Chinese characters, letters and digits")},
    hosts=("sms.toy.example",),
)
