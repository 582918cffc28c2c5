"""Alibaba Cloud dysmsapi as the rest of smssign sees it: its credential, limits and faces."""

from __future__ import annotations

from collections.abc import Sequence

from smssign.core.messages import FrequencyLimit
from smssign.core.model import Credential, TemplateType
from smssign.core.providers import AtRest, CredentialKind, Provider, RandomKey, Walkthrough
from smssign.core.rules import HAN_ALNUM, NameRule
from smssign.dialects.aliyun.reports import REPORTS

CREDENTIAL = "aliyun"
"""The credential kind's name: the database value and the `accounts create --json` key."""

NAME = NameRule(2, 12, HAN_ALNUM, "Chinese characters, letters and digits")
"""SignName: 2 to 12 characters, no spaces, punctuation or brackets."""


VERIFICATION = frozenset({TemplateType.VERIFICATION})
NOTIFICATION = frozenset({TemplateType.NOTIFICATION, TemplateType.NORMAL})
PROMOTION = frozenset({TemplateType.MARKETING})

FREQUENCY_LIMITS = (
    FrequencyLimit("aliyun.verification_1min", 1, window=60, template_types=VERIFICATION),
    FrequencyLimit("aliyun.verification_1h", 5, window=3600, template_types=VERIFICATION),
    FrequencyLimit("aliyun.verification_day", 10, window=24 * 3600, template_types=VERIFICATION),
    FrequencyLimit("aliyun.notification_day", 50, window=24 * 3600, template_types=NOTIFICATION),
    FrequencyLimit("aliyun.promotion_day", 50, window=24 * 3600, template_types=PROMOTION),
    FrequencyLimit("aliyun.day_quota", 0, day_offset_hours=8, per_account=True),
    FrequencyLimit("aliyun.month_quota", 0, day_offset_hours=8, month=True, per_account=True),
)
"""Alibaba's per-number defaults (templates-sending spec §3.4): verification codes once a
minute, five an hour, ten a rolling 24 hours; notifications and promotions fifty a day
each. Alibaba counts them per signature (and template); smssign counts every message of
the account to the number, as it does for the other providers. Each breach answers
isv.BUSINESS_LIMIT_CONTROL with its window (send_errors.WINDOWS).

The two quotas are the console's day and month send limits of the whole account (every
message, whatever the number, China time calendar day and month), unset (0, off) by
default as on Alibaba's console; `accounts set --frequency aliyun.day_quota=N` sets one.
A SendSms that would exceed one fails whole: isv.DAY_LIMIT_CONTROL / MONTH_LIMIT_CONTROL."""


def _demo(credential: Credential, account_id: int) -> Sequence[str]:
    return [
        f"  AccessKeyId:     {credential.key_id}",
        f"  AccessKeySecret: {credential.secret}",
    ]


def _walkthrough(demo: Walkthrough) -> Sequence[str]:
    """A Python one-liner with the Tea client that reads the demo signature's list."""
    c = demo.credential
    endpoint = demo.endpoint.split("://", 1)[-1]
    script = (
        "from alibabacloud_dysmsapi20170525.client import Client; "
        "from alibabacloud_dysmsapi20170525.models import QuerySmsSignListRequest as R; "
        "from alibabacloud_tea_openapi.models import Config; "
        f"print(Client(Config(access_key_id='{c.key_id}', access_key_secret='{c.secret}', "
        f"endpoint='{endpoint}', protocol='http')).query_sms_sign_list(R()).body)"
    )
    return [
        "list the signatures with alibabacloud_dysmsapi20170525:",
        f'  python -c "{script}"',
    ]


PROVIDER = Provider(
    name="aliyun",
    title="Alibaba Cloud dysmsapi 2017-05-25",
    title_zh="阿里云短信服务 dysmsapi 2017-05-25",
    vendor="Alibaba Cloud",
    vendor_zh="阿里云",
    credentials=(
        CredentialKind(
            name=CREDENTIAL,
            key_field="access_key_id",
            secret_field="access_key_secret",
            key_label="AccessKeyId",
            secret_label="AccessKeySecret",
            # LTAI and 20 hex digits, 24 characters like a real AccessKeyId; a 30-character secret.
            issue=RandomKey("LTAI", nbytes=10),
            at_rest=AtRest.SEALED,
            display="Alibaba Cloud",
            demo=_demo,
            secret_bytes=15,
        ),
    ),
    # Alibaba's per-account quotas where it publishes one (QuerySmsSignList and the
    # template list actions have none published: the same as their siblings).
    rate_limits={
        "AddSmsSign": "1/second",
        "ModifySmsSign": "1000/second",
        "QuerySmsSign": "5000/second",
        "DeleteSmsSign": "1000/second",
        "QuerySmsSignList": "1000/second",
        "CreateSmsSign": "500/second",
        "UpdateSmsSign": "100/second",
        "GetSmsSign": "150/second",
        "ModifySmsTemplate": "1000/second",
        "UpdateSmsTemplate": "1000/second",
        "SendSms": "5000/second",
        "SendBatchSms": "5000/second",
        "QuerySendDetails": "5000/second",
    },
    name_rules={"mainland": NAME},
    hosts=("dysmsapi.aliyuncs.com",),
    # The regional and proxy endpoints the SDKs' endpoint map lists.
    host_patterns=(r"dysmsapi(-[a-z]+)?(\.[a-z0-9-]+)?\.aliyuncs\.com",),
    walkthrough=_walkthrough,
    # aliyun-python-sdk-core sends through its own copy of requests.
    requests_copies=("aliyunsdkcore.vendored.requests",),
    frequency_limits=FREQUENCY_LIMITS,
    reports=REPORTS,
)
