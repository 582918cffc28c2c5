"""The requests each benchmark sends, signed ahead of time exactly as the official clients sign.

- Tencent API 3.0: TC3-HMAC-SHA256 over `content-type;host`, as tencentcloud-sdk-python
  signs a POST (the server's own `tc3_signature` builds the string to sign; the official
  SDK tests in tests/clients prove the two agree);
- legacy Tencent v5: `sig = sha256(appkey=…&random=…&time=…)` with a fresh `random` per
  request, so a replay check cannot refuse the load;
- Yunpian v2: the form-encoded `apikey`;
- moto: an AWS Signature Version 4 POST to SNS, as botocore sends ListTopics.

Signed requests stay valid for minutes (TC3 ±300 s, legacy ±600 s), so every scenario
builds its requests right before it runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from bench.wire import build_request
from smssign.dialects.tencent_v3.auth import tc3_signature

TC3_CONTENT_TYPE = "application/json; charset=utf-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
SDK_CLIENT = "SDK_PYTHON_3.0.1100"


def proof_png(size: int = 20 * 1024, seed: int = 6) -> bytes:
    """A real PNG of about `size` bytes: random pixels, so that it does not compress."""
    from PIL import Image

    rng = random.Random(seed)
    side = int((size / 3) ** 0.5)
    pixels = rng.randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def tc3_post(
    port: int,
    *,
    secret_id: str,
    secret_key: str,
    action: str,
    payload: Mapping[str, Any],
    version: str = "2021-01-11",
    region: str = "ap-guangzhou",
    now: float | None = None,
) -> bytes:
    host = f"127.0.0.1:{port}"
    body = orjson.dumps(payload)
    timestamp = int(now if now is not None else time.time())
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed = {"content-type": TC3_CONTENT_TYPE, "host": host}
    signature = tc3_signature(
        secret_key=secret_key,
        method="POST",
        query="",
        headers=signed,
        signed_headers=("content-type", "host"),
        payload_hash=hashlib.sha256(body).hexdigest(),
        timestamp=timestamp,
        date=date,
        service="sms",
    )
    authorization = (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )
    headers = [
        ("Authorization", authorization),
        ("Content-Type", TC3_CONTENT_TYPE),
        ("X-TC-Action", action),
        ("X-TC-Timestamp", str(timestamp)),
        ("X-TC-Version", version),
        ("X-TC-Region", region),
        ("X-TC-RequestClient", SDK_CLIENT),
    ]
    return build_request("POST", "/", host, headers, body)


def tencent_ok(status: int, body: bytes) -> bool:
    return status == 200 and b'"Error"' not in body and b'"RequestId"' in body


def describe_sign_list(port: int, account: Mapping[str, Any], *, offset: int = 0) -> bytes:
    tencent = account["tencent"]
    return tc3_post(
        port,
        secret_id=tencent["secret_id"],
        secret_key=tencent["secret_key"],
        action="DescribeSmsSignList",
        payload={"International": 0, "Limit": 10, "Offset": offset},
    )


def modify_sign(
    port: int, account: Mapping[str, Any], sign_id: int, name: str, proof_b64: str
) -> bytes:
    tencent = account["tencent"]
    return tc3_post(
        port,
        secret_id=tencent["secret_id"],
        secret_key=tencent["secret_key"],
        action="ModifySmsSign",
        payload={
            "SignId": sign_id,
            "SignName": name,
            "SignType": 0,
            "DocumentType": 0,
            "International": 0,
            "SignPurpose": 0,
            "ProofImage": proof_b64,
        },
    )


def send_sms(
    port: int, account: Mapping[str, Any], template_id: int, sign: str, mobiles: Sequence[str]
) -> bytes:
    """SendSms 2021-01-11 as tencentcloud-sdk-python posts it: the account's own SDK AppID,
    an approved signature and verification template, `mobiles` in one request."""
    tencent = account["tencent"]
    return tc3_post(
        port,
        secret_id=tencent["secret_id"],
        secret_key=tencent["secret_key"],
        action="SendSms",
        payload={
            "PhoneNumberSet": list(mobiles),
            "SmsSdkAppId": str(account["legacy"]["sdkappid"]),
            "SignName": sign,
            "TemplateId": str(template_id),
            "TemplateParamSet": ["123456", "5"],
            "SessionContext": "bench",
        },
    )


def send_ok(numbers: int) -> Callable[[int, bytes], bool]:
    """A SendSms reply in which every one of `numbers` numbers was accepted."""

    def ok(status: int, body: bytes) -> bool:
        return status == 200 and b'"Error"' not in body and body.count(b'"Code":"Ok"') == numbers

    return ok


def pull_send_status(port: int, account: Mapping[str, Any], limit: int = 10) -> bytes:
    tencent = account["tencent"]
    return tc3_post(
        port,
        secret_id=tencent["secret_id"],
        secret_key=tencent["secret_key"],
        action="PullSmsSendStatus",
        payload={"SmsSdkAppId": str(account["legacy"]["sdkappid"]), "Limit": limit},
    )


def inbox_latest(port: int, mobile: str) -> bytes:
    """`GET /_smssign/messages/latest` of a `--testing` server."""
    return build_request(
        "GET", f"/_smssign/messages/latest?mobile={quote(mobile)}", f"127.0.0.1:{port}"
    )


def inbox_ok(status: int, body: bytes) -> bool:
    return status == 200 and body.startswith(b"{") and b'"provider_message_id"' in body


def legacy_get_sign(
    port: int, account: Mapping[str, Any], count: int, *, now: float | None = None
) -> list[bytes]:
    """`count` distinct get_sign requests (each its own `random`) for the first page of 10."""
    legacy = account["legacy"]
    sdkappid, appkey = legacy["sdkappid"], legacy["appkey"]
    timestamp = int(now if now is not None else time.time())
    host = f"127.0.0.1:{port}"
    rng = random.Random(f"{sdkappid}:{timestamp}")
    requests = []
    for _ in range(count):
        nonce = str(rng.randrange(10**9, 10**10))
        sig = hashlib.sha256(
            f"appkey={appkey}&random={nonce}&time={timestamp}".encode()
        ).hexdigest()
        body = orjson.dumps({"sig": sig, "time": timestamp, "sign_page": {"max": 10, "offset": 0}})
        path = f"/v5/tlssmssvr/get_sign?sdkappid={sdkappid}&random={nonce}"
        requests.append(
            build_request("POST", path, host, [("Content-Type", "application/json")], body)
        )
    return requests


def legacy_ok(status: int, body: bytes) -> bool:
    return status == 200 and body.startswith(b'{"result":0')


def yunpian_get(port: int, account: Mapping[str, Any]) -> bytes:
    body = urlencode(
        {"apikey": account["yunpian"]["apikey"], "page_num": 1, "page_size": 10}
    ).encode()
    host = f"127.0.0.1:{port}"
    headers = [("Content-Type", FORM_CONTENT_TYPE), ("Accept", "application/json;charset=utf-8")]
    return build_request("POST", "/v2/sign/get.json", host, headers, body)


def yunpian_ok(status: int, body: bytes) -> bool:
    return status == 200 and body.startswith(b'{"code":0')


def baseline_get(port: int) -> bytes:
    return build_request("GET", "/", f"127.0.0.1:{port}")


def baseline_ok(status: int, body: bytes) -> bool:
    return status == 200 and body == b'{"status":"ok"}'


def healthz(port: int) -> bytes:
    return build_request("GET", "/healthz", f"127.0.0.1:{port}")


def status_ok(status: int, body: bytes) -> bool:
    return status == 200


# --- moto: SNS over AWS Signature Version 4 ---------------------------------------------

AWS_KEY_ID = "testing"
AWS_SECRET = "testing"
AWS_REGION = "us-east-1"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sns_post(port: int, params: Sequence[tuple[str, str]], *, now: float | None = None) -> bytes:
    host = f"127.0.0.1:{port}"
    body = urlencode([("Version", "2010-03-31"), *params]).encode()
    moment = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    date = moment.strftime("%Y%m%d")
    signed_headers = "content-type;host;x-amz-date"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{FORM_CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\n",
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{AWS_REGION}/sns/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + AWS_SECRET).encode(), date)
    for part in (AWS_REGION, "sns", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = [
        ("Content-Type", FORM_CONTENT_TYPE),
        ("X-Amz-Date", amz_date),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}",
        ),
    ]
    return build_request("POST", "/", host, headers, body)


def sns_list_topics(port: int) -> bytes:
    return sns_post(port, [("Action", "ListTopics")])


def sns_create_topic(port: int, name: str) -> bytes:
    return sns_post(port, [("Action", "CreateTopic"), ("Name", name)])


def sns_ok(status: int, body: bytes) -> bool:
    return status == 200 and b"<ListTopicsResponse" in body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
