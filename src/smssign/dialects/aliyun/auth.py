"""RPC v1 (HMAC-SHA1) and ACS3-HMAC-SHA256 request signatures, verified for real.

Both schemes sign RFC 3986 percent-encoded parameters: RPC v1 every query and form
parameter but `Signature`, ACS3 the query with the headers the caller lists. The server's
string to sign goes into `SignatureDoesNotMatch`, after a colon, because the legacy
Python SDK splits the message there and compares it with its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from smssign.dialects.aliyun.errors import AliyunError

MAX_SKEW = 15 * 60
"""Alibaba refuses a Timestamp or x-acs-date more than 15 minutes from its clock."""

ACS3 = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

REQUIRED_SIGNED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)
"""What every ACS3 SignedHeaders list must name (both official Tea SDKs sign these)."""

_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_AUTHORIZATION = re.compile(
    r"ACS3-HMAC-SHA256\s+Credential=(?P<id>[^,\s]+)\s*,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+)"
    r"\s*,\s*Signature=(?P<signature>[0-9a-fA-F]{64})\s*"
)


def encode(text: str) -> str:
    """RFC 3986: everything but A-Z a-z 0-9 - _ . ~ as upper-case %XX of its UTF-8 bytes."""
    return quote(text, safe="-_.~")


def canonical_pairs(params: Mapping[str, str]) -> str:
    encoded = sorted((encode(k), encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in encoded)


def check_timestamp(raw: str, now: float) -> int:
    """The request time as unix seconds: InvalidTimeStamp.Format or .Expired otherwise."""
    match = _TIMESTAMP.fullmatch(raw.strip())
    if match is None:
        raise AliyunError("InvalidTimeStamp.Format")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise AliyunError("InvalidTimeStamp.Format") from exc
    timestamp = int(moment.timestamp())
    if abs(now - timestamp) > MAX_SKEW:
        raise AliyunError("InvalidTimeStamp.Expired")
    return timestamp


# --- RPC v1 ---------------------------------------------------------------------------


def v1_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    signed = {k: v for k, v in params.items() if k != "Signature"}
    return f"{method}&%2F&{encode(canonical_pairs(signed))}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_v1(*, secret: str, method: str, params: Mapping[str, str]) -> None:
    method_name = params.get("SignatureMethod", "")
    if method_name != "HMAC-SHA1":
        raise AliyunError("InvalidSignatureMethod")
    if params.get("SignatureVersion", "1.0") != "1.0":
        raise AliyunError("InvalidParameter", "SignatureVersion")
    to_sign = v1_string_to_sign(method, params)
    expected = v1_signature(secret, to_sign)
    if not hmac.compare_digest(expected.encode(), params.get("Signature", "").encode()):
        raise AliyunError("SignatureDoesNotMatch", to_sign)


# --- ACS3 -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acs3Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Acs3Authorization:
    if not value.startswith(ACS3):
        raise AliyunError("InvalidSignatureMethod")
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        raise AliyunError("IncompleteSignature")
    headers = tuple(match["headers"].split(";"))
    if not all(headers) or list(headers) != sorted(set(headers)):
        raise AliyunError("IncompleteSignature", "SignedHeaders must be sorted and distinct")
    missing = [name for name in REQUIRED_SIGNED_HEADERS if name not in headers]
    if missing:
        raise AliyunError("IncompleteSignature", f"SignedHeaders must include {missing[0]}")
    return Acs3Authorization(match["id"], headers, match["signature"].lower())


def acs3_string_to_sign(
    *,
    method: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
) -> str:
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    canonical = "\n".join(
        [
            method,
            "/",
            canonical_pairs(query),
            canonical_headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )
    return f"{ACS3}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def verify_acs3(
    auth: Acs3Authorization,
    *,
    secret: str,
    method: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    payload_hash = headers.get("x-acs-content-sha256", "").lower()
    if payload_hash != hashlib.sha256(body).hexdigest():
        raise AliyunError("SignatureDoesNotMatch", "x-acs-content-sha256 is not the body's")
    for name in auth.signed_headers:
        if name not in headers:
            raise AliyunError("IncompleteSignature", f"signed header {name} is absent")
    to_sign = acs3_string_to_sign(
        method=method,
        query=query,
        headers=headers,
        signed_headers=auth.signed_headers,
        payload_hash=payload_hash,
    )
    expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, auth.signature):
        raise AliyunError("SignatureDoesNotMatch", to_sign.replace("\n", "\\n"))
