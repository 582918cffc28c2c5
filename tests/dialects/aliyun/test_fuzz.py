"""No request to the Alibaba dialect crashes, leaves its envelope, or changes a row unless
it was answered `Code: OK`.

The send actions are also fuzzed on an account that can send (an approved signature and
templates), with values shaped like numbers, TemplateParam JSON and dates, so that the
fuzz reaches the checks past the signature and the sending core itself.

Signed requests carry fuzzed parameters from each action's own table (and some unknown
names); unsigned ones fuzz the RPC v1 common parameters themselves.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smssign.dialects.aliyun import params
from tests.conftest import Server
from tests.dialects.aliyun import signing
from tests.dialects.aliyun.clients import keys, tea
from tests.dialects.aliyun.sending import ready, settled, today
from tests.samples import PNG_B64

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=20)
by_kind: dict[params.Kind, st.SearchStrategy[str]] = {
    params.Kind.STRING: st.sampled_from(["阿里云", "SMS_100000001", "验证码${code}", ""]) | texts,
    params.Kind.INTEGER: st.integers(-2, 2**64).map(str) | texts,
    params.Kind.BOOLEAN: st.sampled_from(["True", "false", "1"]) | texts,
    params.Kind.LIST: st.sampled_from(['["a.png"]', "[1]", "{}"]) | texts,
    params.Kind.FILES: st.sampled_from([PNG_B64, "bm90"]) | texts,
}


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    action = draw(st.sampled_from(sorted(params.ACTIONS)))
    values: dict[str, str] = {}
    for p in params.ACTIONS[action]:
        if draw(st.booleans()):
            name = "SignFileList.1.FileContents" if p.kind is params.Kind.FILES else p.name
            values[name] = draw(by_kind[p.kind])
            if p.kind is params.Kind.FILES:
                values["SignFileList.1.FileSuffix"] = draw(st.sampled_from(["png", "exe"]))
    values.update(
        draw(st.dictionaries(st.sampled_from(["Foo", "SignFileList.x"]), texts, max_size=1))
    )
    return action, values


def check_envelope(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code < 500, reply.text
    assert reply.headers["content-type"] == "application/json;charset=utf-8", reply.text
    body: dict[str, Any] = reply.json()
    assert body["RequestId"] and body["Code"]
    if reply.status_code != 200:
        assert body["Code"] != "OK" and "HostId" in body
    return body


@FUZZ
@given(request=requests())
def test_signed_requests(server: Server, account: dict[str, Any], request: Any) -> None:
    action, values = request
    key, secret = keys(account)
    before = server.row_counts()
    body = check_envelope(signing.v1(server.url, key, secret, action, values))
    if body["Code"] != "OK":
        assert server.row_counts() == before, body


@FUZZ
@given(request=requests(), in_body=st.sets(st.text(max_size=30), max_size=3), chunked=st.booleans())
def test_signed_acs3_requests_with_form_bodies(
    server: Server, account: dict[str, Any], request: Any, in_body: set[str], chunked: bool
) -> None:
    action, values = request
    key, secret = keys(account)
    body_names = {n for n in values if n.startswith("SignFileList") or n in in_body}
    query = {k: v for k, v in values.items() if k not in body_names}
    body = urlencode({k: v for k, v in values.items() if k in body_names}).encode()
    before = server.row_counts()
    reply = signing.acs3(server.url, key, secret, action, query, body=body, chunked=chunked)
    body_json = check_envelope(reply)
    if body_json["Code"] != "OK":
        assert server.row_counts() == before, body_json


common_names = st.sampled_from(
    [
        "AccessKeyId",
        "Action",
        "Version",
        "Timestamp",
        "SignatureNonce",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "Format",
    ]
)


@FUZZ
@given(
    pairs=st.dictionaries(common_names, texts, max_size=9),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    acs=st.booleans(),
)
def test_unsigned_and_malformed(
    server: Server, account: dict[str, Any], pairs: dict[str, str], method: str, acs: bool
) -> None:
    before = server.row_counts()
    headers = {"x-acs-action": "AddSmsSign"} if acs else {}
    pairs.setdefault("AccessKeyId", keys(account)[0])
    reply = httpx.request(method, f"{server.url}/", params=pairs, headers=headers, timeout=10)
    body = check_envelope(reply)
    assert body["Code"] != "OK"
    assert server.row_counts() == before


# --- the send actions, on an account that can send ---------------------------------


@pytest.fixture(scope="module")
def sender(server: Server) -> tuple[dict[str, Any], dict[str, str]]:
    """An account with an approved signature 阿里云 and two approved templates."""
    account = server.create_account()
    return account, ready(server, tea(server, account), account)


good_numbers = st.sampled_from(
    ["13800138000", "+8613800138001", "008613800138002", "8613800138003"]
)
bad_numbers = st.sampled_from(["85261234567", "13900000009", "12345", "", " ", "1380013800a"])
numbers = good_numbers | good_numbers | bad_numbers | texts
values = st.sampled_from(["1234", "张三", "A1", "", "【假】", "https://x.cn", "长" * 40]) | texts
good_params = st.sampled_from([{"code": "1234"}, {"name": "张三", "order": "A1"}])
params_objects = good_params | st.dictionaries(
    st.sampled_from(["code", "name", "order", "x"]), values, max_size=3
)
small_integers = st.integers(-1, 60).map(str)


def json_text(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return strategy.map(lambda v: json.dumps(v, ensure_ascii=False)) | texts


@st.composite
def send_requests(draw: st.DrawFn, codes: dict[str, str]) -> tuple[str, dict[str, str]]:
    code = st.sampled_from([*codes.values(), "SMS_999999999", "x", ""])
    signs = st.sampled_from(["阿里云", "阿里云", "没有的签名", ""])
    by_name: dict[str, st.SearchStrategy[str]] = {
        "PhoneNumbers": st.lists(numbers, min_size=1, max_size=4).map(",".join),
        "SignName": signs | texts,
        "TemplateCode": code,
        "TemplateParam": json_text(params_objects | st.lists(values, max_size=2) | values),
        "SmsUpExtendCode": st.sampled_from(["", "12", "1a", "1234567890123"]) | texts,
        "OutId": st.sampled_from(["order-1", "x" * 300]) | texts,
        "PhoneNumberJson": json_text(st.lists(numbers, min_size=1, max_size=3) | values),
        "SignNameJson": json_text(
            st.lists(signs, max_size=3) | st.lists(st.integers(), max_size=2)
        ),
        "TemplateParamJson": json_text(st.lists(params_objects | values, max_size=3)),
        "SmsUpExtendCodeJson": json_text(st.lists(st.sampled_from(["12", "x"]), max_size=3)),
        "PhoneNumber": numbers,
        "SendDate": st.sampled_from([today(), today(), "20200101", "2026-12-04"]) | texts,
        "StartDate": st.sampled_from([today(), "20200101", "x"]) | texts,
        "EndDate": st.sampled_from([today(), "20991231"]) | texts,
        "BizId": st.sampled_from(["123^0", ""]) | texts,
    }
    action = draw(st.sampled_from(SEND_ACTIONS))
    # A request that would be sent, each parameter then kept, changed or dropped.
    chosen = dict(valid(action, codes))
    for p in params.ACTIONS[action]:
        fate = draw(st.sampled_from(["keep"] * 6 + ["change"] * 3 + ["drop"]))
        if fate == "drop":
            chosen.pop(p.name, None)
        elif fate == "change" or (p.name not in chosen and draw(st.booleans())):
            fallback = small_integers if p.kind is params.Kind.INTEGER else by_kind[p.kind]
            chosen[p.name] = draw(by_name.get(p.name, fallback))
    return action, chosen


SEND_ACTIONS = ("SendSms", "SendBatchSms", "QuerySendDetails", "QuerySendStatistics")


def valid(action: str, codes: dict[str, str]) -> dict[str, str]:
    """A request of `action` that the account's signature and templates let through."""
    return {
        "SendSms": {
            "PhoneNumbers": "13800138000",
            "SignName": "阿里云",
            "TemplateCode": codes["verification"],
            "TemplateParam": '{"code": "1234"}',
        },
        "SendBatchSms": {
            "PhoneNumberJson": '["13800138000", "13800138001"]',
            "SignNameJson": '["阿里云", "阿里云"]',
            "TemplateCode": codes["notice"],
            "TemplateParamJson": '[{"name": "张三", "order": "A1"}, {"name": "李", "order": "B"}]',
        },
        "QuerySendDetails": {
            "PhoneNumber": "13800138000",
            "SendDate": today(),
            "PageSize": "10",
            "CurrentPage": "1",
        },
        "QuerySendStatistics": {
            "IsGlobe": "1",
            "StartDate": today(),
            "EndDate": today(),
            "PageIndex": "1",
            "PageSize": "10",
        },
    }[action]


@FUZZ
@given(data=st.data(), acs3=st.booleans())
def test_send_actions(
    server: Server, sender: tuple[dict[str, Any], dict[str, str]], data: st.DataObject, acs3: bool
) -> None:
    """A refused send changes no row and is never a 500; an accepted one has a BizId."""
    account, codes = sender
    action, values = data.draw(send_requests(codes))
    key, secret = keys(account)
    settled(server)  # an earlier example's delivery writes its event a moment later
    before = server.row_counts()
    if acs3:
        in_body = {n for n in values if n.endswith("Json")}
        query = {k: v for k, v in values.items() if k not in in_body}
        form = urlencode({k: v for k, v in values.items() if k in in_body}).encode()
        reply = signing.acs3(server.url, key, secret, action, query, body=form)
    else:
        reply = signing.v1(server.url, key, secret, action, values)
    body = check_envelope(reply)
    if body["Code"] != "OK":
        assert server.row_counts() == before, body
    elif action.startswith("Send"):
        assert body["BizId"].endswith("^0"), body
