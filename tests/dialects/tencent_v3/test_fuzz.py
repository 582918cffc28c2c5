"""Malformed API 3.0 requests: always HTTP 200, a valid error envelope, no row changed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Server, start_server, stop_server
from tests.dialects.tencent_v3.signing import tc3_post

SIGN_ACTIONS = ["AddSmsSign", "ModifySmsSign", "DeleteSmsSign", "DescribeSmsSignList"]
TEMPLATE_ACTIONS = [
    "AddSmsTemplate",
    "ModifySmsTemplate",
    "DeleteSmsTemplate",
    "DescribeSmsTemplateList",
]
ACTIONS = [*SIGN_ACTIONS, *TEMPLATE_ACTIONS, "Nope", ""]
READS = {"DescribeSmsSignList", "DescribeSmsTemplateList"}
PARAMS = [
    "SignId",
    "SignName",
    "SignType",
    "DocumentType",
    "International",
    "SignPurpose",
    "UsedMethod",
    "ProofImage",
    "CommissionImage",
    "Remark",
    "QualificationId",
    "SignIdSet",
    "Limit",
    "Offset",
    "TemplateId",
    "TemplateName",
    "TemplateContent",
    "SmsType",
    "TemplateIdSet",
    "Bogus",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values that look almost right: the parameter names with wrong or edge values.
payloads = st.dictionaries(st.sampled_from(PARAMS), json_values, max_size=8)
# HTTP clients refuse header values with outer white space, so none are generated.
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
    str.strip
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No rate limits, and no delivery reports while the module runs: a report written
    between two row counts would look like a change made by the request in between."""
    s = start_server(
        tmp_path_factory.mktemp("fuzz"), "--no-rate-limit", "--delivery-delay", "86400"
    )
    yield s
    stop_server(s)


def assert_error_envelope(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()["Response"]
    assert isinstance(body["RequestId"], str) and body["RequestId"]
    return dict(body)


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    action=st.sampled_from(ACTIONS),
    version=st.sampled_from(["2019-07-11", "2021-01-11", "1999-01-01", ""]),
    authorization=header_text,
    timestamp=st.one_of(st.just(""), header_text, st.integers().map(str)),
    body=st.one_of(st.binary(max_size=200), payloads.map(lambda p: json.dumps(p).encode())),
    junk=st.dictionaries(
        st.sampled_from(["X-TC-Region", "X-TC-Language", "Content-Type", "X-TC-Token", "Host"]),
        header_text,
        max_size=3,
    ),
)
def test_unsigned_junk(
    server: Server,
    method: str,
    action: str,
    version: str,
    authorization: str,
    timestamp: str,
    body: bytes,
    junk: dict[str, str],
) -> None:
    before = server.row_counts()
    headers = {"X-TC-Action": action, "X-TC-Version": version, "X-TC-Timestamp": timestamp}
    if authorization:
        headers["Authorization"] = authorization
    headers.update({k: v for k, v in junk.items() if k != "Host"})
    response = httpx.request(method, server.url + "/", content=body, headers=headers)
    reply = assert_error_envelope(response)
    assert "Error" in reply, reply
    assert server.row_counts() == before


@pytest.fixture(scope="module")
def fuzz_account(server: Server) -> dict[str, Any]:
    return server.create_account()


@FUZZ
@given(
    action=st.sampled_from([*SIGN_ACTIONS, *TEMPLATE_ACTIONS]),
    version=st.sampled_from(["2019-07-11", "2021-01-11"]),
    payload=payloads,
)
def test_signed_malformed_parameters(
    server: Server, fuzz_account: dict[str, Any], action: str, version: str, payload: Any
) -> None:
    before = server.row_counts()
    key = fuzz_account["tencent"]
    response = tc3_post(
        server.url,
        key["secret_id"],
        key["secret_key"],
        action,
        payload,
        version=version,
        timestamp=int(time.time()),
    )
    reply = assert_error_envelope(response)
    if "Error" in reply:
        assert set(reply["Error"]) == {"Code", "Message"}
        assert server.row_counts() == before, reply
    else:
        # Only a well-formed read can succeed from random input: no random sign add gets
        # through because ProofImage must be a real image, and this account has applied for
        # no signature, so no template add does either.
        assert action in READS, reply
        assert server.row_counts() == before


@FUZZ
@given(raw=st.binary(max_size=300), content_type=header_text)
def test_signed_garbage_body(
    server: Server, fuzz_account: dict[str, Any], raw: bytes, content_type: str
) -> None:
    before = server.row_counts()
    key = fuzz_account["tencent"]
    response = tc3_post(
        server.url,
        key["secret_id"],
        key["secret_key"],
        "AddSmsSign",
        None,
        body=raw,
    )
    reply = assert_error_envelope(response)
    assert "Error" in reply
    assert server.row_counts() == before


@pytest.fixture(scope="module")
def template_account(server: Server) -> dict[str, Any]:
    """An account that may apply for templates: it has applied for a signature and holds
    one template, so that random ids sometimes hit."""
    from smssign.core.model import Draft, Image, TemplateType
    from smssign.core.templates import TemplateDraft
    from tests.samples import png

    account = server.create_account()

    async def prepare(runtime: Any) -> None:
        owner = await runtime.accounts.get(account["id"])
        image = Image(png(), "PNG", 8, 8)
        draft = Draft(name="模糊测试", sign_type=0, document_type=1, proof_images=(image,))
        await runtime.signatures.add(owner, draft, dialect="test")
        template = TemplateDraft("模板", "验证码{1}", TemplateType.VERIFICATION, False)
        await runtime.templates.add(owner, template, dialect="test")

    server.run(prepare)
    return account


@FUZZ
@given(
    action=st.sampled_from(TEMPLATE_ACTIONS),
    version=st.sampled_from(["2019-07-11", "2021-01-11"]),
    payload=payloads,
)
def test_signed_malformed_template_parameters(
    server: Server, template_account: dict[str, Any], action: str, version: str, payload: Any
) -> None:
    """Every reply is the envelope; a refused template request changes no row, and one
    that gets through replies with the action's own status object."""
    before = server.row_counts()
    key = template_account["tencent"]
    response = tc3_post(
        server.url,
        key["secret_id"],
        key["secret_key"],
        action,
        payload,
        version=version,
        timestamp=int(time.time()),
    )
    reply = assert_error_envelope(response)
    if "Error" in reply:
        assert set(reply["Error"]) == {"Code", "Message"}
        assert server.row_counts() == before, reply
    elif action == "DescribeSmsTemplateList":
        assert isinstance(reply["DescribeTemplateStatusSet"], list)
        assert server.row_counts() == before
    else:
        status = {
            "AddSmsTemplate": "AddTemplateStatus",
            "ModifySmsTemplate": "ModifyTemplateStatus",
            "DeleteSmsTemplate": "DeleteTemplateStatus",
        }[action]
        assert status in reply, reply


SEND_ACTIONS = [
    "SendSms",
    "PullSmsSendStatus",
    "PullSmsSendStatusByPhoneNumber",
    "PullSmsReplyStatus",
    "PullSmsReplyStatusByPhoneNumber",
]
SEND_PARAMS = [
    "PhoneNumberSet",
    "SmsSdkAppId",
    "SmsSdkAppid",
    "TemplateId",
    "TemplateID",
    "SignName",
    "Sign",
    "TemplateParamSet",
    "ExtendCode",
    "SessionContext",
    "SenderId",
    "Limit",
    "Offset",
    "PhoneNumber",
    "BeginTime",
    "EndTime",
    "SendDateTime",
    "EndDateTime",
    "Bogus",
]
APP, TEMPLATE = "<app>", "<template>"
"""Stand-ins for the fuzz account's SDK AppID and template id, filled in per request."""
near_values = st.sampled_from(
    [
        APP,
        TEMPLATE,
        "腾讯云",
        "13800138000",
        "+8613900000009",
        ["13800138000"],
        ["13800138000", "12", "+14155550100"],
        ["1234"],
        ["1234", ""],
        [],
        10,
        0,
        -1,
        101,
        "11",
    ]
)
send_payloads = st.dictionaries(st.sampled_from(SEND_PARAMS), json_values | near_values, max_size=9)


@pytest.fixture(scope="module")
def send_account(server: Server) -> dict[str, Any]:
    """An account with an approved signature 腾讯云 and template 验证码{1}, no limits."""
    from smssign.core.model import Draft, Image, Status, TemplateType
    from smssign.core.templates import TemplateDraft
    from tests.samples import png

    account = server.create_account()

    async def prepare(runtime: Any) -> int:
        owner = await runtime.accounts.get(account["id"])
        image = Image(png(), "PNG", 8, 8)
        draft = Draft(name="腾讯云", sign_type=0, document_type=1, proof_images=(image,))
        change = await runtime.signatures.add(owner, draft, dialect="test")
        await runtime.signatures.review(change.signature.id, Status.APPROVED)
        template = TemplateDraft("模板", "验证码{1}", TemplateType.VERIFICATION, False)
        added = await runtime.templates.add(owner, template, dialect="test")
        await runtime.templates.review(added.template.id, Status.APPROVED)
        off = {"tencent.30s": 0, "tencent.1h": 0, "tencent.day": 0}
        await runtime.repository.change_sending(owner.id, balance=None, frequency=off)
        return int(added.template.id)

    account["template_id"] = server.run(prepare)
    return account


def _filled(value: Any, account: dict[str, Any]) -> Any:
    if value == APP:
        return str(account["legacy"]["sdkappid"])
    if value == TEMPLATE:
        return str(account["template_id"])
    return value


@FUZZ
@given(
    action=st.sampled_from(SEND_ACTIONS),
    version=st.sampled_from(["2019-07-11", "2021-01-11"]),
    payload=send_payloads,
)
def test_signed_malformed_send_parameters(
    server: Server, send_account: dict[str, Any], action: str, version: str, payload: Any
) -> None:
    """A refused send or pull changes no row; an accepted send adds exactly one message and
    one event per `Ok` entry, and SendStatusSet has one entry per number, in order."""
    payload = {key: _filled(value, send_account) for key, value in payload.items()}
    before = server.row_counts()
    key = send_account["tencent"]
    response = tc3_post(
        server.url,
        key["secret_id"],
        key["secret_key"],
        action,
        payload,
        version=version,
        timestamp=int(time.time()),
    )
    reply = assert_error_envelope(response)
    after = server.row_counts()
    if "Error" in reply:
        assert set(reply["Error"]) == {"Code", "Message"}
        assert after == before, reply
        return
    if action != "SendSms":
        assert after == before, reply
        return
    entries = reply["SendStatusSet"]
    assert len(entries) == len(payload["PhoneNumberSet"])
    accepted = sum(1 for entry in entries if entry["Code"] == "Ok")
    assert after["messages"] == before["messages"] + accepted
    assert after["events"] == before["events"] + accepted
    unchanged = {k: v for k, v in after.items() if k not in ("messages", "events")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("messages", "events")}


def _valid_send(version: str) -> dict[str, Any]:
    v2019 = version == "2019-07-11"
    return {
        "PhoneNumberSet": ["13800138000", "13800138001"],
        "SmsSdkAppid" if v2019 else "SmsSdkAppId": APP,
        "TemplateID" if v2019 else "TemplateId": TEMPLATE,
        "Sign" if v2019 else "SignName": "腾讯云",
        "TemplateParamSet": ["1234"],
    }


@FUZZ
@given(
    version=st.sampled_from(["2019-07-11", "2021-01-11"]),
    dropped=st.sets(st.integers(min_value=0, max_value=4), max_size=2),
    overrides=st.dictionaries(st.sampled_from(SEND_PARAMS), json_values | near_values, max_size=2),
)
def test_nearly_valid_sends(
    server: Server,
    send_account: dict[str, Any],
    version: str,
    dropped: set[int],
    overrides: dict[str, Any],
) -> None:
    """A valid SendSms with a field or two dropped or changed: the same rules hold, and
    the unchanged request is accepted."""
    base = _valid_send(version)
    payload = {k: v for i, (k, v) in enumerate(base.items()) if i not in dropped}
    payload.update(overrides)
    test_signed_malformed_send_parameters.hypothesis.inner_test(  # type: ignore[attr-defined]
        server, send_account, "SendSms", version, payload
    )
