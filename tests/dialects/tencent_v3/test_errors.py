"""Every error code of the gateway and of the recommended mapping, reached over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from smssign.dialects.tencent_v3.auth import tc3_signature, v1_signature
from tests.conftest import Server
from tests.dialects.tencent_v3.signing import error_code, tc3_headers, tc3_post, v1_get
from tests.samples import PNG_B64, png

V2021 = "2021-01-11"
V2019 = "2019-07-11"


def submission(**overrides: Any) -> dict[str, Any]:
    return {
        "SignName": "错误测试",
        "SignType": 0,
        "DocumentType": 1,
        "International": 0,
        "SignPurpose": 0,
        "ProofImage": PNG_B64,
        **overrides,
    }


class Caller:
    def __init__(self, server: Server, account: dict[str, Any]) -> None:
        self.server = server
        self.account = account

    def post(self, action: str, payload: Any, **kwargs: Any) -> httpx.Response:
        return tc3_post(
            self.server.url,
            self.account["tencent"]["secret_id"],
            self.account["tencent"]["secret_key"],
            action,
            payload,
            **kwargs,
        )

    def code(self, action: str, payload: Any, **kwargs: Any) -> str | None:
        return error_code(self.post(action, payload, **kwargs))

    def add(self, name: str, **overrides: Any) -> int:
        reply = self.post("AddSmsSign", submission(SignName=name, **overrides)).json()
        return int(reply["Response"]["AddSignStatus"]["SignId"])


@pytest.fixture
def caller(server: Server, account: dict[str, Any]) -> Caller:
    return Caller(server, account)


def event_count(server: Server) -> int:
    return len(server.run(lambda rt: rt.repository.events()))


# --- gateway ------------------------------------------------------------------------


def test_unsupported_method(server: Server) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        assert error_code(httpx.request(method, server.url + "/")) == "UnsupportedProtocol"


def test_request_size_limits(caller: Caller, server: Server) -> None:
    huge = "A" * (10 * 1024 * 1024 + 10)
    assert caller.code("AddSmsSign", submission(ProofImage=huge)) == "RequestSizeLimitExceeded"
    assert error_code(httpx.get(server.url + "/?x=" + "a" * 40_000)) == "RequestSizeLimitExceeded"
    v1_body = "Action=AddSmsSign&ProofImage=" + "A" * (1024 * 1024)
    response = httpx.post(
        server.url + "/",
        content=v1_body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert error_code(response) == "RequestSizeLimitExceeded"


def test_action_and_version(caller: Caller) -> None:
    assert caller.code("SendStatusStatistics", {}) == "InvalidAction"
    assert caller.code("AddSmsSign", submission(), version="2020-01-01") == "NoSuchVersion"


def test_unknown_action_is_reported_before_authentication(server: Server) -> None:
    response = httpx.post(
        server.url + "/", json={}, headers={"X-TC-Action": "Nope", "Authorization": "junk"}
    )
    assert error_code(response) == "InvalidAction"


def test_authentication_failures(caller: Caller, server: Server) -> None:
    account = caller.account
    secret_id, secret_key = account["tencent"]["secret_id"], account["tencent"]["secret_key"]
    assert (
        error_code(tc3_post(server.url, "AKIDunknown", secret_key, "AddSmsSign", submission()))
        == "AuthFailure.SecretIdNotFound"
    )
    assert (
        error_code(tc3_post(server.url, secret_id, "wrong", "AddSmsSign", submission()))
        == "AuthFailure.SignatureFailure"
    )
    stale = int(time.time()) - 301
    assert (
        error_code(
            tc3_post(server.url, secret_id, secret_key, "AddSmsSign", submission(), timestamp=stale)
        )
        == "AuthFailure.SignatureExpire"
    )
    response = httpx.post(
        server.url + "/",
        json=submission(),
        headers={
            "X-TC-Action": "AddSmsSign",
            "X-TC-Version": V2021,
            "X-TC-Timestamp": str(int(time.time())),
            "Authorization": "TC3-HMAC-SHA256 garbage",
        },
    )
    assert error_code(response) == "AuthFailure.InvalidAuthorization"


def test_v1_failures(caller: Caller, server: Server) -> None:
    account = caller.account
    secret_id, secret_key = account["tencent"]["secret_id"], account["tencent"]["secret_key"]
    ok = v1_get(server.url, secret_id, secret_key, "DescribeSmsSignList", {"International": "0"})
    assert error_code(ok) is None
    bad = v1_get(server.url, secret_id, "nope", "DescribeSmsSignList", {"International": "0"})
    assert error_code(bad) == "AuthFailure.SignatureFailure"
    stale = v1_get(
        server.url,
        secret_id,
        secret_key,
        "DescribeSmsSignList",
        {"International": "0"},
        timestamp=int(time.time()) - 1000,
    )
    assert error_code(stale) == "AuthFailure.SignatureExpire"
    unsigned = httpx.get(
        server.url + "/", params={"Action": "DescribeSmsSignList", "Version": V2021}
    )
    assert error_code(unsigned) == "MissingParameter"


def test_region(caller: Caller) -> None:
    assert caller.code("DescribeSmsSignList", {"International": 0}, region=None) == (
        "MissingParameter"
    )
    assert caller.code("DescribeSmsSignList", {"International": 0}, region="mars-1") == (
        "UnsupportedRegion"
    )
    # 2019-07-11 needs no region.
    assert (
        caller.code(
            "DescribeSmsSignList",
            {"International": 0, "SignIdSet": [1]},
            version=V2019,
            region=None,
        )
        is None
    )


def test_parameters(caller: Caller) -> None:
    missing = submission()
    del missing["ProofImage"]
    assert caller.code("AddSmsSign", missing) == "MissingParameter"
    assert caller.code("AddSmsSign", submission(SignType="zero")) == "InvalidParameter"
    assert caller.code("AddSmsSign", submission(SignName=12)) == "InvalidParameter"
    assert caller.code("AddSmsSign", submission(SignType=True)) == "InvalidParameter"
    assert caller.code("AddSmsSign", submission(SignId=2**70)) == "UnknownParameter"
    assert caller.code("AddSmsSign", submission(Colour="red")) == "UnknownParameter"
    # 2019 names its purpose UsedMethod; SignPurpose is unknown there.
    assert caller.code("AddSmsSign", submission(), version=V2019) == "UnknownParameter"
    assert caller.code("DescribeSmsSignList", {"International": 0}, version=V2019) == (
        "MissingParameter"
    )
    assert caller.code("DeleteSmsSign", {"SignId": 2**64}) == "InvalidParameter"
    assert caller.code("DeleteSmsSign", {"SignId": "12x"}) == "InvalidParameter"
    assert caller.code("AddSmsSign", None, body=b"{not json") == "FailedOperation.JsonParseFail"
    assert caller.code("AddSmsSign", None, body=b"[1, 2]") == "FailedOperation.JsonParseFail"


def test_numeric_strings_are_integers(caller: Caller) -> None:
    sign_id = caller.add("字符串编号")
    assert caller.code("DeleteSmsSign", {"SignId": str(sign_id)}) is None


# --- account policy ---------------------------------------------------------------


def test_policy(server: Server) -> None:
    individual = Caller(server, server.create_account(individual=True))
    assert individual.code("DescribeSmsSignList", {"International": 0}) == (
        "FailedOperation.NotEnterpriseCertification"
    )
    arrears = Caller(server, server.create_account())
    server.set_account(arrears.account["id"], arrears=True)
    assert arrears.code("AddSmsSign", submission()) == (
        "UnauthorizedOperation.ServiceSuspendDueToArrears"
    )
    # Parameters are checked before policy.
    assert arrears.code("AddSmsSign", {"SignName": "x"}) == "MissingParameter"
    fenced = Caller(server, server.create_account())
    server.set_account(fenced.account["id"], ip_allow=["10.0.0.0/8"])
    assert fenced.code("AddSmsSign", submission()) == (
        "UnauthorizedOperation.RequestIpNotInWhitelist"
    )
    server.set_account(fenced.account["id"], ip_allow=["10.0.0.0/8", "127.0.0.1/32"])
    assert fenced.code("AddSmsSign", submission()) is None


# --- business rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"SignType": 9}, "InvalidParameterValue"),
        ({"SignType": 2, "DocumentType": 1}, "InvalidParameterValue"),  # retired 2025-06
        ({"SignType": 1, "DocumentType": 1}, "InvalidParameterValue"),  # retired for mainland
        ({"DocumentType": 7}, "InvalidParameterValue.InvalidDocumentType"),  # company by trademark
        ({"DocumentType": 42}, "InvalidParameterValue.InvalidDocumentType"),
        ({"International": 2}, "InvalidParameterValue.InvalidInternational"),
        ({"SignPurpose": 3}, "InvalidParameterValue.InvalidUsedMethod"),
        ({"ProofImage": "not base64!"}, "InvalidParameterValue.ImageInvalid"),
        ({"ProofImage": "data:image/png;base64," + PNG_B64}, "InvalidParameterValue.ImageInvalid"),
        ({"ProofImage": base64.b64encode(b"hello").decode()}, "InvalidParameterValue.ImageInvalid"),
        (
            {"ProofImage": base64.b64encode(png()[:40]).decode()},
            "InvalidParameterValue.ImageInvalid",
        ),
        ({"CommissionImage": "aGVsbG8="}, "InvalidParameterValue.ImageInvalid"),
        ({"SignName": "名" * 13}, "InvalidParameterValue.SignNameLengthTooLong"),
        ({"SignName": "【括号】"}, "FailedOperation.OtherError"),
        ({"SignName": "名"}, "FailedOperation.OtherError"),
        ({"SignName": "a b"}, "FailedOperation.OtherError"),
    ],
)
def test_add_rules(caller: Caller, server: Server, overrides: dict[str, Any], code: str) -> None:
    before = event_count(server)
    assert caller.code("AddSmsSign", submission(**overrides)) == code
    assert event_count(server) == before, "a refused request changes nothing"


def test_image_over_five_megabytes(caller: Caller) -> None:
    big = png() + b"\0" * (5 * 1024 * 1024)
    payload = submission(ProofImage=base64.b64encode(big).decode())
    assert caller.code("AddSmsSign", payload) == "InvalidParameterValue.ImageInvalid"


def test_international_names_may_be_longer(caller: Caller) -> None:
    assert caller.code("AddSmsSign", submission(SignName="A" * 15, International=1)) is None
    assert caller.code("AddSmsSign", submission(SignName="B" * 16, International=1)) == (
        "InvalidParameterValue.SignNameLengthTooLong"
    )


def test_purpose_codes_per_version(caller: Caller) -> None:
    sign_id = caller.add("用途测试")
    modify = submission(SignId=sign_id, SignPurpose=5)
    assert caller.code("ModifySmsSign", modify) == "InvalidParameterValue.InvalidSignPurpose"
    legacy = {k: v for k, v in modify.items() if k != "SignPurpose"} | {"UsedMethod": 5}
    assert caller.code("ModifySmsSign", legacy, version=V2019) == (
        "InvalidParameterValue.InvalidUsedMethod"
    )


def test_duplicates(caller: Caller, server: Server) -> None:
    pending = caller.add("重名签名")
    assert caller.code("AddSmsSign", submission(SignName="重名签名")) == (
        "InvalidParameterValue.SignExistAndUnapproved"
    )
    server.approve(pending)
    assert caller.code("AddSmsSign", submission(SignName="重名签名")) == (
        "InvalidParameterValue.SignAlreadyPassedCheck"
    )
    # The same name in the other scope is another signature.
    assert caller.code("AddSmsSign", submission(SignName="重名签名", International=1)) is None
    # A rejected name is free again.
    rejected = caller.add("被拒签名")
    server.reject(rejected, "不合规")
    assert caller.code("AddSmsSign", submission(SignName="被拒签名")) is None
    # ...but the rejected one cannot then take it back by modification.
    assert caller.code("ModifySmsSign", submission(SignId=rejected, SignName="被拒签名")) == (
        "InvalidParameterValue.SignExistAndUnapproved"
    )


def test_quota(server: Server) -> None:
    caller = Caller(server, server.create_account())
    server.set_account(caller.account["id"], signature_quota=2)
    caller.add("配额一")
    caller.add("配额二")
    assert caller.code("AddSmsSign", submission(SignName="配额三")) == (
        "FailedOperation.SignNumberLimit"
    )


def test_scope_is_immutable(caller: Caller, server: Server) -> None:
    sign_id = caller.add("范围测试")
    before = event_count(server)
    assert caller.code("ModifySmsSign", submission(SignId=sign_id, International=1)) == (
        "InvalidParameterValue.InvalidInternational"
    )
    assert event_count(server) == before
    signature = server.run(lambda rt: rt.repository.signature(sign_id))
    assert signature is not None and not signature.international


def test_modify_unknown(caller: Caller) -> None:
    assert caller.code("ModifySmsSign", submission(SignId=99_999_999)) == (
        "FailedOperation.MissingSignatureToModify"
    )


def test_offset_must_not_be_negative(caller: Caller) -> None:
    assert caller.code("DescribeSmsSignList", {"International": 0, "Offset": -1}) == (
        "InvalidParameterValue"
    )
    assert caller.code("DescribeSmsSignList", {"International": 0, "Limit": 0}) == (
        "InvalidParameterValue.LimitVerifyFail"
    )


def test_non_ascii_digits_are_a_parameter_error(caller: Caller, server: Server) -> None:
    """`²` passes str.isdigit() but not int(): it must be InvalidParameter, not InternalError."""
    account = caller.account
    secret_id, secret_key = account["tencent"]["secret_id"], account["tencent"]["secret_key"]
    raw = json.dumps({"International": 0}).encode()
    for timestamp in ("²", "170000000²"):
        sent = tc3_headers(server.url, secret_id, secret_key, "DescribeSmsSignList", raw)
        sent.pop("X-TC-Timestamp")
        # Header values travel as Latin-1, where `²` is one byte.
        headers = [(k.encode(), v.encode()) for k, v in sent.items()]
        headers.append((b"X-TC-Timestamp", timestamp.encode("latin-1")))
        reply = httpx.post(server.url + "/", content=raw, headers=headers)
        assert error_code(reply) == "InvalidParameter", timestamp

    signed = {
        "Action": "DescribeSmsSignList",
        "Version": V2021,
        "Region": "ap-guangzhou",
        "International": "0",
        "Timestamp": "²",
        "Nonce": "1",
        "SecretId": secret_id,
        "SignatureMethod": "HmacSHA256",
    }
    host = server.url.split("://", 1)[1]
    signed["Signature"] = v1_signature(
        secret_key=secret_key, method="GET", host=host, params=signed, algorithm="HmacSHA256"
    )
    assert error_code(httpx.get(server.url + "/", params=signed)) == "InvalidParameter"

    # An index of a flattened list in non-ASCII digits is no index at all.
    listed = v1_get(
        server.url,
        secret_id,
        secret_key,
        "DescribeSmsSignList",
        {"International": "0", "SignIdSet.²": "1"},
    )
    assert error_code(listed) == "UnknownParameter"
    assert "Traceback" not in server.log()


def _tc3_signing_only(
    server: Server, account: dict[str, Any], signed_headers: tuple[str, ...]
) -> httpx.Response:
    """A correctly computed TC3 signature over just `signed_headers`."""
    raw = json.dumps({"International": 0}).encode()
    ts = int(time.time())
    date = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    sent = {
        "content-type": "application/json",
        "host": server.url.split("://", 1)[1],
        "x-tc-action": "DescribeSmsSignList",
    }
    signature = tc3_signature(
        secret_key=account["tencent"]["secret_key"],
        method="POST",
        query="",
        headers={name: sent[name] for name in signed_headers},
        signed_headers=signed_headers,
        payload_hash=hashlib.sha256(raw).hexdigest(),
        timestamp=ts,
        date=date,
        service="sms",
    )
    credential = f"{account['tencent']['secret_id']}/{date}/sms/tc3_request"
    headers = {
        "Content-Type": "application/json",
        "X-TC-Action": "DescribeSmsSignList",
        "X-TC-Version": V2021,
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Timestamp": str(ts),
        "Authorization": (
            f"TC3-HMAC-SHA256 Credential={credential}, "
            f"SignedHeaders={';'.join(signed_headers)}, Signature={signature}"
        ),
    }
    return httpx.post(server.url + "/", content=raw, headers=headers)


def test_tc3_must_sign_host_and_content_type(caller: Caller, server: Server) -> None:
    account = caller.account
    for signed in (("host",), ("content-type",), ("content-type", "x-tc-action")):
        reply = _tc3_signing_only(server, account, signed)
        assert error_code(reply) == "AuthFailure.SignatureFailure", signed
    # More headers than the two are still fine, as the documentation allows.
    extra = _tc3_signing_only(server, account, ("content-type", "host", "x-tc-action"))
    assert error_code(extra) is None
