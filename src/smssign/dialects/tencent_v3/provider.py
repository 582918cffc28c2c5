"""Tencent Cloud API 3.0 as the rest of smssign sees it: its credential, limits and faces."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence

from smssign.core.messages import FrequencyLimit
from smssign.core.model import Credential
from smssign.core.providers import AtRest, CredentialKind, Provider, RandomKey, Walkthrough
from smssign.core.rules import HAN_ALNUM, NameRule
from smssign.dialects.tencent_legacy.reports import REPORTS

CREDENTIAL = "tencent"
"""The credential kind's name: the database value and the `accounts create --json` key."""
APP_KIND = "legacy"
"""The credential kind whose key id is the SDK AppID (`SmsSdkAppId`): both Tencent APIs
share the legacy API's application."""

MAINLAND_NAME = NameRule(2, 12, HAN_ALNUM, "Chinese characters, letters and digits")
INTERNATIONAL_NAME = NameRule(2, 15, HAN_ALNUM, "Chinese characters, letters and digits")

REGIONS = frozenset({"ap-beijing", "ap-guangzhou", "ap-nanjing", "ap-shanghai", "ap-singapore"})
"""The regions the SMS service answers in; any other gets InvalidParameterValue."""


FREQUENCY_LIMITS = (
    FrequencyLimit("tencent.30s", 1, window=30),
    FrequencyLimit("tencent.1h", 5, window=3600),
    FrequencyLimit("tencent.day", 10, day_offset_hours=8),
)
"""The console's default per-number policy: one message per 30 s, five an hour, ten a
calendar day (China time); each breach has its own LimitExceeded.PhoneNumber… code."""


def _demo(credential: Credential, account_id: int) -> Sequence[str]:
    return [f"  SecretId:  {credential.key_id}", f"  SecretKey: {credential.secret}"]


def _walkthrough(demo: Walkthrough) -> Sequence[str]:
    """tccli commands that modify the demo signature and read it back, then send the demo
    template under the approved demo signature."""
    c = demo.credential
    env = f"TENCENTCLOUD_SECRET_ID={c.key_id} TENCENTCLOUD_SECRET_KEY={c.secret}"
    common = f"--endpoint {demo.endpoint} --version 2021-01-11 --region ap-guangzhou"
    modify = (
        f"{env} tccli sms ModifySmsSign {common} --SignId {demo.signature_id} "
        f"--SignName {shlex.quote('演示签名二')} --SignType 0 --DocumentType 1 "
        f"--International 0 --SignPurpose 0 --ProofImage {demo.proof_base64}"
    )
    describe = (
        f"{env} tccli sms DescribeSmsSignList {common} "
        f"--SignIdSet '[{demo.signature_id}]' --International 0"
    )
    lines = [
        "modify the demo signature with tccli (pip install tccli):",
        f"  {modify}",
        "",
        "then read it back:",
        f"  {describe}",
    ]
    app = demo.credentials.get(APP_KIND)
    if app is not None and demo.template_id is not None and demo.sign_name and demo.mobile:
        numbers = json.dumps([demo.mobile])
        params = json.dumps(list(demo.params), ensure_ascii=False)
        send = (
            f"{env} tccli sms SendSms {common} --SmsSdkAppId {app.key_id} "
            f"--SignName {shlex.quote(demo.sign_name)} --TemplateId {demo.template_id} "
            f"--PhoneNumberSet {shlex.quote(numbers)} --TemplateParamSet {shlex.quote(params)}"
        )
        lines.extend(["", "send the demo template to a phone with tccli:", f"  {send}"])
    return lines


PROVIDER = Provider(
    name="tencent_v3",
    title="Tencent Cloud API 3.0",
    title_zh="腾讯云 API 3.0",
    vendor="Tencent Cloud",
    vendor_zh="腾讯云",
    credentials=(
        CredentialKind(
            name=CREDENTIAL,
            key_field="secret_id",
            secret_field="secret_key",
            key_label="SecretId",
            secret_label="SecretKey",
            # AKID and 32 hex digits: 36 characters, like a real SecretId.
            issue=RandomKey("AKID"),
            at_rest=AtRest.SEALED,
            display="Tencent Cloud",
            demo=_demo,
        ),
    ),
    # As Tencent documents them per action.
    rate_limits={
        "AddSmsSign": "1/second",
        "ModifySmsSign": "1/second",
        "DeleteSmsSign": "1/second",
        "DescribeSmsSignList": "20/second",
        # The template actions as the 2021 page documents them (the 2019 page gives
        # ModifySmsTemplate 1/second; limits are kept per action, not per version).
        "AddSmsTemplate": "2/second",
        "ModifySmsTemplate": "20/second",
        "DeleteSmsTemplate": "1/second",
        "DescribeSmsTemplateList": "20/second",
        "SendSms": "3000/second",
        "PullSmsSendStatus": "100/second",
        "PullSmsReplyStatus": "100/second",
        "PullSmsSendStatusByPhoneNumber": "20/second",
        "PullSmsReplyStatusByPhoneNumber": "20/second",
    },
    name_rules={"mainland": MAINLAND_NAME, "international": INTERNATIONAL_NAME},
    hosts=("sms.tencentcloudapi.com",),
    # The regional forms, such as sms.ap-guangzhou.tencentcloudapi.com.
    host_patterns=(r"sms(\.[a-z0-9-]+)?\.tencentcloudapi\.com",),
    walkthrough=_walkthrough,
    frequency_limits=FREQUENCY_LIMITS,
    # One callback format for both Tencent dialects (spec §5), declared in the legacy folder.
    reports=REPORTS,
)
