"""Legacy Tencent SMS v5 as the rest of smssign sees it: its credential, limits and faces."""

from __future__ import annotations

from collections.abc import Sequence

from smssign.core.messages import FrequencyLimit
from smssign.core.model import Credential
from smssign.core.providers import AtRest, CredentialKind, Provider, SequentialKey
from smssign.core.rules import HAN_ALNUM, NameRule
from smssign.dialects.tencent_legacy.reports import REPORTS

CREDENTIAL = "legacy"
"""The credential kind's name: the database value and the `accounts create --json` key."""

SDKAPPID_BASE = 1400000000
"""SdkAppIds are 14000xxxxx numbers; ours are this base plus the account id."""

NAME = NameRule(2, 12, HAN_ALNUM, "Chinese characters, letters and digits")


FREQUENCY_LIMITS = (
    FrequencyLimit("tencent.30s", 1, window=30),
    FrequencyLimit("tencent.1h", 5, window=3600),
    FrequencyLimit("tencent.day", 10, day_offset_hours=8),
)
"""The same service and policy as API 3.0 (1023, 1024, 1025), under the same names: one
`accounts set --frequency tencent.30s=N` changes both dialects, and messages sent through
either count against them."""


def _demo(credential: Credential, account_id: int) -> Sequence[str]:
    return [f"  legacy sdkappid: {credential.key_id}  appkey: {credential.secret}"]


PROVIDER = Provider(
    name="tencent_legacy",
    title="Tencent SMS v5 (legacy)",
    title_zh="腾讯云短信 v5（旧版）",
    vendor="Tencent Cloud",
    vendor_zh="腾讯云",
    credentials=(
        CredentialKind(
            name=CREDENTIAL,
            key_field="sdkappid",
            secret_field="appkey",
            key_label="SdkAppId",
            secret_label="AppKey",
            issue=SequentialKey(SDKAPPID_BASE),
            at_rest=AtRest.SEALED,
            display="legacy Tencent SMS",
            demo=_demo,
        ),
    ),
    # The API documents no rate for the sign and template calls: these only stop a runaway loop
    # (error 1013), never an ordinary integration test.
    rate_limits={
        "add_sign": "5/second",
        "mod_sign": "5/second",
        "del_sign": "5/second",
        "get_sign": "20/second",
        "add_template": "5/second",
        "mod_template": "5/second",
        "del_template": "5/second",
        "get_template": "20/second",
        # Sending as API 3.0 documents it for the same service.
        "sendsms": "3000/second",
        "sendisms": "3000/second",
        "sendmultisms2": "3000/second",
        "pullstatus": "100/second",
        "pullstatus4mobile": "20/second",
    },
    name_rules={"mainland": NAME},
    hosts=("yun.tim.qq.com",),
    frequency_limits=FREQUENCY_LIMITS,
    reports=REPORTS,
)
