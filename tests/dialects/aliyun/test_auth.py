"""RPC v1 and ACS3 authentication over HTTP: every gateway code with its HTTP status, the
replay cache, chunked bodies, and Tencent API 3.0 still answering on the same path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkdysmsapi.request.v20170525 import QuerySmsSignRequest

from tests.conftest import Server, start_server, stop_server
from tests.dialects.aliyun import signing
from tests.dialects.aliyun.clients import keys, legacy

QUERY = {"SignName": "阿里云"}


def error(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json;charset=utf-8"
    body: dict[str, Any] = reply.json()
    assert body["Code"] == code, body
    assert body["RequestId"] and body["HostId"] and body["Recommend"]
    return body


def test_unknown_key_wrong_secret_and_the_legacy_sdks_own_check(
    server: Server, account: dict[str, Any]
) -> None:
    key, secret = keys(account)
    error(
        signing.v1(server.url, "LTAInobody", secret, "QuerySmsSign", QUERY),
        404,
        "InvalidAccessKeyId.NotFound",
    )
    error(
        signing.acs3(server.url, "LTAInobody", secret, "QuerySmsSign", QUERY),
        404,
        "InvalidAccessKeyId.NotFound",
    )
    body = error(
        signing.v1(server.url, key, "wrong", "QuerySmsSign", QUERY), 400, "SignatureDoesNotMatch"
    )
    assert "server string to sign is:POST&%2F&AccessKeyId%3D" in body["Message"]
    error(
        signing.acs3(server.url, key, "wrong", "QuerySmsSign", QUERY), 400, "SignatureDoesNotMatch"
    )
    # The legacy SDK compares our string to sign with its own: equal, so it says the
    # secret is wrong, which proves both sides canonicalised the request the same way.
    wrong = legacy(server, {"aliyun": {"access_key_id": key, "access_key_secret": "bad"}})
    request = QuerySmsSignRequest.QuerySmsSignRequest()
    request.set_SignName("阿里云")
    request.set_protocol_type("http")
    with pytest.raises(ServerException) as caught:
        wrong.do_action_with_exception(request)
    assert caught.value.get_error_code() == "InvalidAccessKeySecret"


def test_timestamps_nonces_and_malformed_auth(server: Server, account: dict[str, Any]) -> None:
    key, secret = keys(account)
    url = server.url
    stale = {"Timestamp": "2020-01-01T00:00:00Z"}
    error(
        signing.v1(url, key, secret, "QuerySmsSign", QUERY, common=stale),
        400,
        "InvalidTimeStamp.Expired",
    )
    bad = {"Timestamp": "yesterday"}
    error(
        signing.v1(url, key, secret, "QuerySmsSign", QUERY, common=bad),
        400,
        "InvalidTimeStamp.Format",
    )
    error(
        signing.acs3(
            url, key, secret, "QuerySmsSign", QUERY, headers={"x-acs-date": "2020-01-01T00:00:00Z"}
        ),
        400,
        "InvalidTimeStamp.Expired",
    )

    first = signing.v1(url, key, secret, "QuerySmsSign", QUERY, nonce="n-1")
    assert first.status_code == 200 and first.json()["Code"] == "isv.SMS_SIGNATURE_ILLEGAL"
    error(
        signing.v1(url, key, secret, "QuerySmsSign", QUERY, nonce="n-1"), 400, "SignatureNonceUsed"
    )
    nonce = {"x-acs-signature-nonce": "acs3-nonce"}
    assert signing.acs3(url, key, secret, "QuerySmsSign", QUERY, headers=nonce).status_code == 200
    error(
        signing.acs3(url, key, secret, "QuerySmsSign", QUERY, headers=nonce),
        400,
        "SignatureNonceUsed",
    )

    error(
        signing.v1(url, key, secret, "QuerySmsSign", QUERY, common={"SignatureMethod": "HMAC-MD5"}),
        400,
        "InvalidSignatureMethod",
    )
    error(
        signing.v1(url, key, secret, "QuerySmsSign", QUERY, common={"SignatureVersion": "2.0"}),
        400,
        "InvalidParameter",
    )
    no_key = httpx.post(f"{url}/?Action=QuerySmsSign&Version=2017-05-25&SignatureNonce=x")
    error(no_key, 400, "MissingAccessKeyId")
    no_nonce = httpx.post(f"{url}/?Action=QuerySmsSign&Version=2017-05-25&AccessKeyId={key}")
    error(no_nonce, 400, "MissingParameter")
    torn = httpx.post(
        f"{url}/",
        headers={
            "authorization": "ACS3-HMAC-SHA256 Credential=x",
            "x-acs-action": "QuerySmsSign",
            "x-acs-version": "2017-05-25",
            "x-acs-date": signing.now(),
            "x-acs-signature-nonce": "n",
            "x-acs-content-sha256": "e3",
        },
    )
    error(torn, 400, "IncompleteSignature")
    sm3 = httpx.post(
        f"{url}/",
        headers={
            "authorization": "ACS3-HMAC-SM3 Credential=x",
            "x-acs-action": "QuerySmsSign",
            "x-acs-version": "2017-05-25",
            "x-acs-date": signing.now(),
            "x-acs-signature-nonce": "n",
            "x-acs-content-sha256": "e3",
        },
    )
    error(sm3, 400, "InvalidSignatureMethod")


def test_actions_versions_methods_and_sizes(server: Server, account: dict[str, Any]) -> None:
    key, secret = keys(account)
    url = server.url
    error(signing.v1(url, key, secret, "SendNothing", {}), 404, "InvalidAction.NotFound")
    error(
        signing.v1(url, key, secret, "QuerySmsSign", QUERY, common={"Version": "2099-01-01"}),
        400,
        "InvalidVersion",
    )
    error(httpx.put(f"{url}/?AccessKeyId={key}"), 400, "UnsupportedHTTPMethod")
    error(signing.v1(url, key, secret, "QuerySmsSign", {}), 400, "MissingSignName")
    error(
        signing.v1(url, key, secret, "QuerySmsSignList", {"PageSize": "ten"}),
        400,
        "InvalidParameter",
    )
    huge = httpx.post(
        f"{url}/?AccessKeyId={key}",
        content=b"x" * (11 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    error(huge, 400, "RequestTooLarge")
    get = signing.v1(url, key, secret, "QuerySmsSignList", {}, method="GET")
    assert get.status_code == 200 and get.json()["TotalCount"] == 0


def test_chunked_form_body_and_tencent_on_the_same_path(
    server: Server, account: dict[str, Any]
) -> None:
    key, secret = keys(account)
    body = b"SignFileList.1.FileContents=bm90&SignFileList.1.FileSuffix=png"
    reply = signing.acs3(
        server.url,
        key,
        secret,
        "AddSmsSign",
        {"SignName": "阿里云", "SignSource": "1", "Remark": "r"},
        body=body,
        chunked=True,
    )
    assert reply.status_code == 200
    # The chunked body was read and signed: its image was checked (and is no image).
    assert reply.json()["Code"] == "isv.SIGN_FILE_LIMIT"
    tencent = httpx.post(f"{server.url}/", headers={"X-TC-Action": "DescribeSmsSignList"}, json={})
    assert "Response" in tencent.json()


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Rate limits on."""
    s = start_server(tmp_path_factory.mktemp("limited"))
    yield s
    stop_server(s)


def test_throttling(limited: Server) -> None:
    account = limited.create_account()
    key, secret = keys(account)
    before = limited.row_counts()
    replies = [signing.v1(limited.url, key, secret, "AddSmsSign", {}) for _ in range(3)]
    # AddSmsSign allows 1/second: the first is refused for its parameters, the rest throttled.
    assert replies[0].json()["Code"] == "MissingSignName"
    assert [r.status_code for r in replies[1:]] == [400, 400]
    assert {r.json()["Code"] for r in replies[1:]} == {"Throttling.User"}
    assert limited.row_counts() == before


def test_retired_actions_switch(tmp_path: Path) -> None:
    retiring = start_server(tmp_path, "--refuse-retired-actions", "--no-rate-limit")
    try:
        account = retiring.create_account()
        key, secret = keys(account)
        for action in (
            "AddSmsSign",
            "ModifySmsSign",
            "QuerySmsSign",
            "AddSmsTemplate",
            "ModifySmsTemplate",
            "QuerySmsTemplate",
        ):
            error(signing.v1(retiring.url, key, secret, action, {}), 404, "InvalidApi.NotFound")
        current = signing.v1(retiring.url, key, secret, "GetSmsSign", QUERY)
        assert current.status_code == 404 and current.json()["Code"] == "SignatureNotFound"
    finally:
        stop_server(retiring)
