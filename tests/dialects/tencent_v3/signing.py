"""Raw API 3.0 requests for tests that need to send what no SDK would: signed by hand."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from smssign.dialects.tencent_v3.auth import tc3_signature, v1_signature


def tc3_post(
    url: str,
    secret_id: str,
    secret_key: str,
    action: str,
    payload: Any,
    *,
    version: str = "2021-01-11",
    region: str | None = "ap-guangzhou",
    timestamp: int | None = None,
    body: bytes | None = None,
    extra_headers: dict[str, str] | None = None,
    service: str = "sms",
) -> httpx.Response:
    """POST a JSON body (or the exact `body` bytes) with a correct TC3 signature."""
    raw = body if body is not None else json.dumps(payload).encode()
    sent = tc3_headers(
        url,
        secret_id,
        secret_key,
        action,
        raw,
        version=version,
        region=region,
        timestamp=timestamp,
        service=service,
    )
    return httpx.post(url + "/", content=raw, headers={**sent, **(extra_headers or {})})


def tc3_headers(
    url: str,
    secret_id: str,
    secret_key: str,
    action: str,
    raw: bytes,
    *,
    version: str = "2021-01-11",
    region: str | None = "ap-guangzhou",
    timestamp: int | None = None,
    service: str = "sms",
) -> dict[str, str]:
    """The headers of a TC3-signed JSON POST of `raw` to `url` (also for async clients)."""
    host = url.split("://", 1)[1]
    ts = int(time.time()) if timestamp is None else timestamp
    date = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    headers = {"content-type": "application/json", "host": host}
    signature = tc3_signature(
        secret_key=secret_key,
        method="POST",
        query="",
        headers=headers,
        signed_headers=("content-type", "host"),
        payload_hash=hashlib.sha256(raw).hexdigest(),
        timestamp=ts,
        date=date,
        service=service,
    )
    sent = {
        "Content-Type": "application/json",
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(ts),
        "Authorization": (
            f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        ),
    }
    if region is not None:
        sent["X-TC-Region"] = region
    return sent


def v1_get(
    url: str,
    secret_id: str,
    secret_key: str,
    action: str,
    params: dict[str, str],
    *,
    version: str = "2021-01-11",
    nonce: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    """GET with a correct v1 HmacSHA256 signature; a fresh Nonce unless one is given."""
    host = url.split("://", 1)[1]
    signed = {
        **params,
        "Action": action,
        "Version": version,
        "Region": "ap-guangzhou",
        "Timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "Nonce": nonce or str(secrets.randbelow(2**31) + 1),
        "SecretId": secret_id,
        "SignatureMethod": "HmacSHA256",
    }
    signed["Signature"] = v1_signature(
        secret_key=secret_key, method="GET", host=host, params=signed, algorithm="HmacSHA256"
    )
    return httpx.get(url + "/?" + urlencode(signed))


def error_code(response: httpx.Response) -> str | None:
    """The Response.Error.Code of a reply, after checking the envelope every reply must have."""
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()["Response"]
    assert isinstance(body["RequestId"], str) and body["RequestId"]
    error = body.get("Error")
    return None if error is None else str(error["Code"])
