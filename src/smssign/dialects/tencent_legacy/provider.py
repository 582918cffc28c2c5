"""Legacy Tencent SMS v5 as the rest of smssign sees it: its credential, limits and faces."""

from __future__ import annotations

from collections.abc import Sequence

from smssign.core.model import Credential
from smssign.core.providers import AtRest, CredentialKind, Provider, SequentialKey
from smssign.core.rules import HAN_ALNUM, NameRule

CREDENTIAL = "legacy"
"""The credential kind's name: the database value and the `accounts create --json` key."""

SDKAPPID_BASE = 1400000000
"""SdkAppIds are 14000xxxxx numbers; ours are this base plus the account id."""

NAME = NameRule(2, 12, HAN_ALNUM, "Chinese characters, letters and digits")


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
    },
    name_rules={"mainland": NAME},
    hosts=("yun.tim.qq.com",),
)
