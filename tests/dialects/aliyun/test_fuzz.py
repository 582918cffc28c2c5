"""No request to the Alibaba dialect crashes, leaves its envelope, or changes a row unless
it was answered `Code: OK`.

Signed requests carry fuzzed parameters from each action's own table (and some unknown
names); unsigned ones fuzz the RPC v1 common parameters themselves.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smssign.dialects.aliyun import params
from tests.conftest import Server
from tests.dialects.aliyun import signing
from tests.dialects.aliyun.clients import keys
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
