"""Signature verification against the test vectors computed with the official Python SDK."""

from __future__ import annotations

import hashlib

import pytest

from smssign.dialects.tencent_v3 import auth
from smssign.dialects.tencent_v3.errors import TencentError

SECRET_ID = "AKIDEXAMPLEFAKEID000000000000000000"
SECRET_KEY = "FakeSecretKey0000000000000000000"
BODY = (
    b'{"SignId": 1110, "SignName": "Test", "SignType": 0, "DocumentType": 1, '
    b'"International": 0, "SignPurpose": 0, "ProofImage": "aGVsbG8=", "Remark": "demo"}'
)
V1_PARAMS = {
    "Action": "ModifySmsSign",
    "DocumentType": "1",
    "International": "0",
    "Language": "zh-CN",
    "Nonce": "12345",
    "ProofImage": "aGVsbG8=",
    "Region": "ap-guangzhou",
    "Remark": "demo",
    "RequestClient": "SDK_PYTHON_3.1.153",
    "SecretId": SECRET_ID,
    "SignId": "1110",
    "SignName": "Test",
    "SignPurpose": "0",
    "SignType": "0",
    "Timestamp": "1700000000",
    "Version": "2021-01-11",
}


def test_tc3_vector() -> None:
    assert hashlib.sha256(BODY).hexdigest() == (
        "743ccfb1d110d36bf9c18ec6f89c04121642f54d8d62265fc42476c90601210f"
    )
    signature = auth.tc3_signature(
        secret_key=SECRET_KEY,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": "sms.tencentcloudapi.com"},
        signed_headers=("content-type", "host"),
        payload_hash=hashlib.sha256(BODY).hexdigest(),
        timestamp=1700000000,
        date="2023-11-14",
        service="sms",
    )
    assert signature == "c4791a80ed89ec12a992d7edf9bdc82f3ad5419da2c22697b9e5fd3b2af3a9f1"


def _authorization(signature: str, service: str = "sms") -> auth.Tc3Authorization:
    return auth.parse_authorization(
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2023-11-14/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def test_verify_accepts_the_vector_and_the_captured_local_request() -> None:
    good = _authorization("c4791a80ed89ec12a992d7edf9bdc82f3ad5419da2c22697b9e5fd3b2af3a9f1")
    headers = {"content-type": "application/json", "host": "sms.tencentcloudapi.com"}
    auth.verify_tc3(
        good,
        secret_key=SECRET_KEY,
        method="POST",
        query="",
        headers=headers,
        body=BODY,
        timestamp=1700000000,
    )
    # The request captured from the Python SDK against 127.0.0.1:18931 (spec §9).
    local = _authorization("e9ed7830cca916678a9bac467cc5196475689a08ce72417c7eef5b67a52ce0e7")
    auth.verify_tc3(
        local,
        secret_key=SECRET_KEY,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": "127.0.0.1:18931"},
        body=BODY,
        timestamp=1700000000,
    )


def test_verify_refuses_a_changed_body_or_key() -> None:
    good = _authorization("c4791a80ed89ec12a992d7edf9bdc82f3ad5419da2c22697b9e5fd3b2af3a9f1")
    headers = {"content-type": "application/json", "host": "sms.tencentcloudapi.com"}
    with pytest.raises(TencentError) as caught:
        auth.verify_tc3(
            good,
            secret_key=SECRET_KEY,
            method="POST",
            query="",
            headers=headers,
            body=BODY.replace(b"Test", b"Tesu"),
            timestamp=1700000000,
        )
    assert caught.value.code == "AuthFailure.SignatureFailure"
    with pytest.raises(TencentError):
        auth.verify_tc3(
            good,
            secret_key=SECRET_KEY + "x",
            method="POST",
            query="",
            headers=headers,
            body=BODY,
            timestamp=1700000000,
        )


def test_node_sdk_quirk_host_without_port_and_service_from_host() -> None:
    """Node signs `host:127.0.0.1` and service `127` while sending Host 127.0.0.1:P."""
    headers = {"content-type": "application/json", "host": "127.0.0.1"}
    signature = auth.tc3_signature(
        secret_key=SECRET_KEY,
        method="POST",
        query="",
        headers=headers,
        signed_headers=("content-type", "host"),
        payload_hash=hashlib.sha256(BODY).hexdigest(),
        timestamp=1700000000,
        date="2023-11-14",
        service="127",
    )
    auth.verify_tc3(
        _authorization(signature, service="127"),
        secret_key=SECRET_KEY,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": "127.0.0.1:18931"},
        body=BODY,
        timestamp=1700000000,
    )
    with pytest.raises(TencentError):  # any other service is not what a client signs
        auth.verify_tc3(
            _authorization(signature, service="cvm"),
            secret_key=SECRET_KEY,
            method="POST",
            query="",
            headers={"content-type": "application/json", "host": "127.0.0.1:18931"},
            body=BODY,
            timestamp=1700000000,
        )


def test_v1_vectors() -> None:
    host = "sms.tencentcloudapi.com"
    sha256 = auth.v1_signature(
        secret_key=SECRET_KEY,
        method="GET",
        host=host,
        params={**V1_PARAMS, "SignatureMethod": "HmacSHA256"},
        algorithm="HmacSHA256",
    )
    assert sha256 == "bapoqAi62KtD5tp094wlWahy8AnOdWcKpB626/IXulo="
    sha1 = auth.v1_signature(
        secret_key=SECRET_KEY,
        method="POST",
        host=host,
        params={**V1_PARAMS, "SignatureMethod": "HmacSHA1"},
        algorithm="HmacSHA1",
    )
    assert sha1 == "784NTFO7t6dwHdSlnqXSGfsMRWk="
    auth.verify_v1(
        secret_key=SECRET_KEY,
        method="POST",
        host=host,
        params={**V1_PARAMS, "SignatureMethod": "HmacSHA1", "Signature": sha1},
        signature=sha1,
    )


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Basic abc",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/sms/tc3_request",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/sms/tc3_request, SignedHeaders=, Signature=ab",
        "TC3-HMAC-SHA256 Credential=AKID/20231114/sms/tc3_request, SignedHeaders=host, "
        "Signature=" + "a" * 64,
    ],
)
def test_malformed_authorization(header: str) -> None:
    with pytest.raises(TencentError) as caught:
        auth.parse_authorization(header)
    assert caught.value.code == "AuthFailure.InvalidAuthorization"


def test_host_forms() -> None:
    assert auth.host_forms("http://127.0.0.1:8080") == [
        "http://127.0.0.1:8080",
        "127.0.0.1:8080",
        "127.0.0.1",
    ]
    assert auth.host_forms("sms.tencentcloudapi.com") == ["sms.tencentcloudapi.com"]


@pytest.mark.parametrize("raw", ["²", "1700000000²", "１７００００００００", "-1"])
def test_timestamps_are_ascii_digits(raw: str) -> None:
    with pytest.raises(TencentError) as refused:
        auth.check_timestamp(raw, 1700000000)
    assert refused.value.code == "InvalidParameter"


@pytest.mark.parametrize("signed_headers", ["host", "content-type", "content-type;x-tc-action"])
def test_tc3_signed_headers_must_include_host_and_content_type(signed_headers: str) -> None:
    names = tuple(signed_headers.split(";"))
    headers = {
        "content-type": "application/json",
        "host": "sms.tencentcloudapi.com",
        "x-tc-action": "ModifySmsSign",
    }
    signature = auth.tc3_signature(
        secret_key=SECRET_KEY,
        method="POST",
        query="",
        headers={name: headers[name] for name in names},
        signed_headers=names,
        payload_hash=hashlib.sha256(BODY).hexdigest(),
        timestamp=1700000000,
        date="2023-11-14",
        service="sms",
    )
    authorization = auth.parse_authorization(
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2023-11-14/sms/tc3_request, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    with pytest.raises(TencentError) as refused:
        auth.verify_tc3(
            authorization,
            secret_key=SECRET_KEY,
            method="POST",
            query="",
            headers=headers,
            body=BODY,
            timestamp=1700000000,
        )
    assert refused.value.code == "AuthFailure.SignatureFailure"
