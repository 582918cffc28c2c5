"""Hand-signed dysmsapi requests (RPC v1 and ACS3), written from Alibaba's documented
algorithms, for the refusals no official client can be made to send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _canonical(params: dict[str, str]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1(
    url: str,
    key: str,
    secret: str,
    action: str,
    params: dict[str, str],
    *,
    method: str = "POST",
    common: dict[str, str] | None = None,
    nonce: str | None = None,
) -> httpx.Response:
    signed = {
        "AccessKeyId": key,
        "Action": action,
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": now(),
        "Version": "2017-05-25",
        **params,
        **(common or {}),
    }
    signed = {k: v for k, v in signed.items() if v is not None}
    to_sign = f"{method}&%2F&{_encode(_canonical(signed))}"
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    signed["Signature"] = base64.b64encode(mac).decode()
    return httpx.request(method, f"{url}/?{urlencode(signed)}", timeout=10)


def acs3(
    url: str,
    key: str,
    secret: str,
    action: str,
    query: dict[str, str],
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> httpx.Response:
    host = url.split("://", 1)[1]
    sent: dict[str, str] = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": "2017-05-25",
        "x-acs-date": now(),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        **(headers or {}),
    }
    if body:
        sent.setdefault("content-type", "application/x-www-form-urlencoded")
    names = sorted(sent)
    canonical = "\n".join(
        [
            "POST",
            "/",
            _canonical(query),
            "".join(f"{n}:{sent[n]}\n" for n in names),
            ";".join(names),
            sent["x-acs-content-sha256"],
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    sent["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={key},SignedHeaders={';'.join(names)},Signature={signature}"
    )
    content: Any = body
    if chunked:

        def pieces() -> Any:
            yield body[: len(body) // 2]
            yield body[len(body) // 2 :]

        content = pieces()
    return httpx.post(f"{url}/?{urlencode(query)}", headers=sent, content=content, timeout=10)
