"""Yunpian v2 as the rest of smssign sees it: its credential, limits and faces."""

from __future__ import annotations

from collections.abc import Sequence

from smssign.core.messages import FrequencyLimit
from smssign.core.model import Credential, TemplateType
from smssign.core.providers import AtRest, CredentialKind, Provider, RandomKey, is_key_digest
from smssign.core.rules import HAN_ALNUM_PUNCT, NameRule

# The kind's name lives with authentication, which reports.py also reads; named here too.
from smssign.dialects.yunpian.auth import CREDENTIAL as CREDENTIAL
from smssign.dialects.yunpian.reports import REPORTS
from smssign.dialects.yunpian.review_callback import pushes

NAME = NameRule(
    2, 20, HAN_ALNUM_PUNCT, "Chinese characters, letters, digits and common punctuation"
)

FREQUENCY_LIMITS = (
    FrequencyLimit("yunpian.30s", 1, window=30, same_content=True),
    FrequencyLimit("yunpian.5min", 3, window=300, same_content=True),
    FrequencyLimit(
        "yunpian.verification_1h",
        3,
        window=3600,
        template_types=frozenset({TemplateType.VERIFICATION}),
    ),
    FrequencyLimit("yunpian.day", 10, window=24 * 3600),
)
"""Yunpian's per-number defaults (spec §3.8): the same text once per 30 s (code 8) and
three times per 5 min (9), three verification codes an hour (22), ten messages a
rolling 24 h (17). send_errors.FREQUENCY_CODES maps each name to its code."""


def _demo(credential: Credential, account_id: int) -> Sequence[str]:
    if is_key_digest(credential.key_id):
        rotate = f"smssign accounts rotate {account_id} --dialect {CREDENTIAL}"
        return [f"  Yunpian apikey: shown only when issued; `{rotate}` makes a new one"]
    return [f"  Yunpian apikey: {credential.key_id}"]


PROVIDER = Provider(
    name="yunpian",
    title="Yunpian API v2",
    title_zh="云片 API v2",
    vendor="Yunpian",
    vendor_zh="云片",
    credentials=(
        CredentialKind(
            name=CREDENTIAL,
            key_field="apikey",
            secret_field=None,
            key_label="apikey",
            secret_label=None,
            issue=RandomKey(),
            # A bearer key, compared as presented: it is looked up by its SHA-256, and a
            # sealed copy signs pushed replies (`_sign`, spec §4.3).
            at_rest=AtRest.HASHED,
            sealed_copy=True,
            display="Yunpian",
            demo=_demo,
        ),
    ),
    # Yunpian documents no rate for the sign calls: these only stop a runaway loop
    # (code -5), never an ordinary integration test.
    rate_limits={
        "add": "5/second",
        "update": "5/second",
        "get": "20/second",
        "tpl_add": "5/second",
        "tpl_update": "5/second",
        "tpl_del": "5/second",
        "tpl_get": "20/second",
        "tpl_get_default": "20/second",
    },
    name_rules={"mainland": NAME},
    hosts=("sms.yunpian.com", "us.yunpian.com"),
    frequency_limits=FREQUENCY_LIMITS,
    reports=REPORTS,
    pushes=pushes,
)
