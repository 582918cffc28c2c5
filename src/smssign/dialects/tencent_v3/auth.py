"""TC3-HMAC-SHA256 and v1 (HmacSHA1/HmacSHA256) request signatures, verified for real.

Official clients disagree on what they sign as `host` and as the service (the Node SDK
signs the host without its port and the first DNS label as service; tccli signs a host
with a scheme in it). We accept exactly what a client could have signed: the Host header
as received and its scheme- and port-less forms, never an unsigned request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from smssign.dialects.tencent_v3.errors import TencentError

MAX_SKEW = 300

_AUTHORIZATION = re.compile(
    r"TC3-HMAC-SHA256\s+Credential=(?P<id>[^/\s,]+)/(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})/"
    r"(?P<service>[^/\s,]+)/tc3_request\s*,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+)\s*,"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]{64})\s*"
)


@dataclass(frozen=True, slots=True)
class Tc3Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Tc3Authorization:
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        raise TencentError("AuthFailure.InvalidAuthorization")
    headers = tuple(match["headers"].split(";"))
    if not all(headers):
        raise TencentError("AuthFailure.InvalidAuthorization")
    return Tc3Authorization(
        secret_id=match["id"],
        date=match["date"],
        service=match["service"],
        signed_headers=headers,
        signature=match["signature"].lower(),
    )


REQUIRED_SIGNED_HEADERS = ("content-type", "host")
"""Tencent requires both in every TC3 SignedHeaders list (the official SDKs sign exactly these)."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
"""ASCII digits only: `str.isdigit()` also accepts `²`, which `int()` then refuses."""


def check_timestamp(raw: str | None, now: float) -> int:
    if raw is None or not raw.strip():
        raise TencentError("MissingParameter", "Timestamp")
    if not _TIMESTAMP.fullmatch(raw.strip()):
        raise TencentError("InvalidParameter", "Timestamp")
    timestamp = int(raw.strip())
    if abs(now - timestamp) > MAX_SKEW:
        raise TencentError("AuthFailure.SignatureExpire")
    return timestamp


def host_forms(host: str) -> list[str]:
    """The Host header as received, then without scheme, then without port."""
    forms = [host]
    bare = host.split("://", 1)[1] if "://" in host else host
    if bare not in forms:
        forms.append(bare)
    if bare.startswith("["):
        portless = bare.split("]", 1)[0] + "]"
    else:
        portless = bare.rsplit(":", 1)[0] if bare.count(":") == 1 else bare
    if portless not in forms:
        forms.append(portless)
    return forms


@lru_cache(maxsize=4096)
def _signing_key(secret_key: str, date: str, service: str) -> bytes:
    """The TC3 key chain; it only changes with the date, so it is cached per day."""
    k_date = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode(), hashlib.sha256).digest()
    return hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()


def tc3_signature(
    *,
    secret_key: str,
    method: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
    timestamp: int,
    date: str,
    service: str,
) -> str:
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in signed_headers)
    canonical = "\n".join(
        [method, "/", query, canonical_headers, ";".join(signed_headers), payload_hash]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _signing_key(secret_key, date, service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verify_tc3(
    auth: Tc3Authorization,
    *,
    secret_key: str,
    method: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    timestamp: int,
) -> None:
    """Raise AuthFailure.SignatureFailure unless one reading of the request matches."""
    for required in REQUIRED_SIGNED_HEADERS:
        if required not in auth.signed_headers:
            raise TencentError(
                "AuthFailure.SignatureFailure", f"SignedHeaders must include {required}"
            )
    if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != auth.date:
        raise TencentError("AuthFailure.SignatureFailure", "credential date differs from timestamp")
    host = headers.get("host", "")
    if auth.service not in ("sms", host_forms(host)[-1].split(".", 1)[0]):
        raise TencentError("AuthFailure.SignatureFailure", "unknown service in credential scope")
    if headers.get("x-tc-content-sha256", "").upper() == "UNSIGNED-PAYLOAD":
        payload_hash = "UNSIGNED-PAYLOAD"
    else:
        payload_hash = hashlib.sha256(body if method == "POST" else b"").hexdigest()
    signed: dict[str, str] = {}
    for name in auth.signed_headers:
        if name not in headers:
            raise TencentError("AuthFailure.SignatureFailure", f"signed header {name} is absent")
        signed[name] = headers[name].strip()
    candidates: list[dict[str, str]] = []
    hosts = host_forms(host) if "host" in signed else [host]
    for form in hosts:
        for lowered in (False, True):
            values = dict(signed)
            if "host" in values:
                values["host"] = form
            if lowered:
                values = {k: v.lower() for k, v in values.items()}
            if values not in candidates:
                candidates.append(values)
    for values in candidates:
        expected = tc3_signature(
            secret_key=secret_key,
            method=method,
            query=query if method == "GET" else "",
            headers=values,
            signed_headers=auth.signed_headers,
            payload_hash=payload_hash,
            timestamp=timestamp,
            date=auth.date,
            service=auth.service,
        )
        if hmac.compare_digest(expected, auth.signature):
            return
    raise TencentError("AuthFailure.SignatureFailure")


def v1_signature(
    *, secret_key: str, method: str, host: str, params: Mapping[str, str], algorithm: str
) -> str:
    joined = "&".join(f"{k}={params[k]}" for k in sorted(params))
    source = f"{method}{host}/?{joined}"
    digest = hashlib.sha256 if algorithm == "HmacSHA256" else hashlib.sha1
    return base64.b64encode(
        hmac.new(secret_key.encode(), source.encode(), digest).digest()
    ).decode()


def verify_v1(
    *, secret_key: str, method: str, host: str, params: Mapping[str, str], signature: str
) -> None:
    algorithm = params.get("SignatureMethod", "HmacSHA1")
    if algorithm not in ("HmacSHA1", "HmacSHA256"):
        raise TencentError("AuthFailure.SignatureFailure", "unsupported SignatureMethod")
    signed = {k: v for k, v in params.items() if k != "Signature"}
    for form in host_forms(host):
        expected = v1_signature(
            secret_key=secret_key, method=method, host=form, params=signed, algorithm=algorithm
        )
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return
    raise TencentError("AuthFailure.SignatureFailure")
