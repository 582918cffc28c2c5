"""Tencent Cloud API 3.0 as the gateway serves it: `/` for GET and POST, the JSON envelope.

Order: method, size, action and version (read), authentication (key id, timestamp,
signature, v1 Nonce replay), region (2021), rate limit, parameters, account policy,
business rules. Every reply is HTTP 200 with `Content-Type: application/json` and a
RequestId, errors included, because the official SDKs only read error codes from such
replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.responses import Response

from smssign.core import errors as core
from smssign.dialects.protocol import (
    Authenticator,
    Check,
    Context,
    Errors,
    Exchange,
    Guard,
    Replay,
    Replies,
    WireProtocol,
)
from smssign.dialects.tencent_v3 import auth, params
from smssign.dialects.tencent_v3.actions import DIALECT, HANDLERS, REVIEW_ACTIONS
from smssign.dialects.tencent_v3.errors import TencentError, from_core
from smssign.dialects.tencent_v3.provider import CREDENTIAL, REGIONS
from smssign.web.transport import read_body

MAX_GET_BYTES = 32 * 1024
MAX_V1_POST_BYTES = 1024 * 1024
MAX_TC3_POST_BYTES = 10 * 1024 * 1024


@dataclass(slots=True)
class Incoming:
    """A request as read: TC3 when it has an Authorization header, else v1."""

    method: str
    query: str
    headers: dict[str, str]
    body: bytes
    flat: dict[str, str] | None
    """Query or form pairs (GET, v1, form-encoded TC3); None for a TC3 JSON body."""
    region: str
    authorization: auth.Tc3Authorization | None = None

    @property
    def tc3(self) -> bool:
        return "authorization" in self.headers

    @property
    def v1(self) -> dict[str, str]:
        assert self.flat is not None  # v1 requests are always flat
        return self.flat


def _language(value: str | None) -> str:
    return "zh-CN" if value == "zh-CN" else "en-US"


async def read(context: Context) -> Incoming:
    request = context.request
    headers = {k.lower(): v for k, v in request.headers.items()}
    context.language = _language(headers.get("x-tc-language"))
    method = request.method
    if method not in ("GET", "POST"):
        raise TencentError("UnsupportedProtocol")
    raw_query = request.scope.get("query_string", b"").decode("latin-1")
    tc3 = "authorization" in headers
    if method == "GET":
        if len(raw_query) > MAX_GET_BYTES:
            raise TencentError("RequestSizeLimitExceeded")
        body = b""
    else:
        limit = MAX_TC3_POST_BYTES if tc3 else MAX_V1_POST_BYTES
        read = await read_body(request, limit)
        if read is None:
            raise TencentError("RequestSizeLimitExceeded")
        body = read

    flat: dict[str, str] | None = None
    if method == "GET":
        flat = _pairs(raw_query)
    elif not tc3 or _is_form(headers):
        flat = _pairs(_text(body))
    if tc3:
        action = headers.get("x-tc-action", "")
        version = headers.get("x-tc-version", "")
        region = headers.get("x-tc-region", "")
    else:
        assert flat is not None
        action = flat.get("Action", "")
        version = flat.get("Version", "")
        region = flat.get("Region", "")
        if "x-tc-language" not in headers:
            context.language = _language(flat.get("Language"))
    if action not in HANDLERS:
        raise TencentError("InvalidAction", action or None)
    context.action = action
    if version not in params.VERSIONS:
        raise TencentError("NoSuchVersion", version or None)
    context.version = version
    return Incoming(method, raw_query, headers, body, flat, region)


def _is_form(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TencentError("FailedOperation.FailResolvePacket", "the body is not UTF-8") from exc


def _pairs(text: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TencentError("FailedOperation.FailResolvePacket", "malformed query") from exc


# --- authentication -------------------------------------------------------------------


def key_id(exchange: Exchange[Incoming]) -> str:
    incoming = exchange.incoming
    if incoming.tc3:
        incoming.authorization = auth.parse_authorization(incoming.headers["authorization"])
        return incoming.authorization.secret_id
    for name in ("SecretId", "Signature", "Timestamp", "Nonce"):
        if not incoming.v1.get(name):
            raise TencentError("MissingParameter", name)
    return incoming.v1["SecretId"]


def timestamp(exchange: Exchange[Incoming], now: float) -> int:
    incoming = exchange.incoming
    raw = incoming.headers.get("x-tc-timestamp") if incoming.tc3 else incoming.v1["Timestamp"]
    return auth.check_timestamp(raw, now)


def signature(exchange: Exchange[Incoming], secret: str) -> None:
    incoming = exchange.incoming
    assert exchange.timestamp is not None
    if incoming.authorization is not None:
        auth.verify_tc3(
            incoming.authorization,
            secret_key=secret,
            method=incoming.method,
            query=incoming.query,
            headers=incoming.headers,
            body=incoming.body,
            timestamp=exchange.timestamp,
        )
        return
    auth.verify_v1(
        secret_key=secret,
        method=incoming.method,
        host=incoming.headers.get("host", ""),
        params=incoming.v1,
        signature=incoming.v1["Signature"],
    )


def replay(exchange: Exchange[Incoming]) -> Replay | None:
    """A signed v1 request is good for the whole skew window: refuse a second use. TC3
    requests carry no nonce, so they have no token."""
    incoming = exchange.incoming
    if incoming.tc3:
        return None
    assert exchange.timestamp is not None
    return Replay(
        token=(incoming.v1["SecretId"], incoming.v1["Nonce"], str(exchange.timestamp)),
        expires_at=exchange.timestamp + auth.MAX_SKEW,
        refusal=TencentError("AuthFailure.SignatureFailure", "this Nonce was already used"),
    )


async def region(exchange: Exchange[Incoming]) -> None:
    if exchange.context.version != params.V2021:
        return
    given = exchange.incoming.region
    if not given:
        raise TencentError("MissingParameter", "Region")
    if given not in REGIONS:
        raise TencentError("UnsupportedRegion", given)


def parameters(exchange: Exchange[Incoming]) -> dict[str, Any]:
    table = params.TABLES[(exchange.context.action, exchange.context.version)]
    incoming = exchange.incoming
    if incoming.flat is not None:
        return params.from_flat(incoming.flat, table)
    try:
        decoded = orjson.loads(incoming.body)
    except orjson.JSONDecodeError as exc:
        raise TencentError("FailedOperation.JsonParseFail") from exc
    return params.from_json(decoded, table)


# --- replies --------------------------------------------------------------------------


def _reply(payload: dict[str, Any]) -> Response:
    return Response(
        orjson.dumps({"Response": payload}), status_code=200, media_type="application/json"
    )


def success(context: Context, payload: dict[str, Any]) -> Response:
    return _reply({**payload, "RequestId": context.request_id})


def failure(context: Context, error: TencentError) -> Response:
    message = error.message(context.language)
    return _reply(
        {"Error": {"Code": error.code, "Message": message}, "RequestId": context.request_id}
    )


def _from_core(exc: core.SmssignError, context: Context) -> TencentError:
    return from_core(exc, context.action, context.version)


PROTOCOL: WireProtocol[Incoming, TencentError] = WireProtocol(
    name=DIALECT,
    paths=("/",),
    read=read,
    authenticator=Authenticator(
        kind=CREDENTIAL,
        key_id=key_id,
        unknown_key=lambda: TencentError("AuthFailure.SecretIdNotFound"),
        timestamp=timestamp,
        signature=signature,
        replay=replay,
    ),
    guards=(
        Guard.AUTHENTICATE,
        Guard.TIMESTAMP,
        Guard.SIGNATURE,
        Guard.REPLAY,
        Check("region", region),
        Guard.RATE_LIMIT,
        Guard.PARAMETERS,
        Guard.POLICY,
    ),
    parameters=parameters,
    handlers=HANDLERS,
    replies=Replies(success=success, failure=failure),
    errors=Errors(
        type=TencentError,
        code=lambda error: error.code,
        from_core=_from_core,
        internal=lambda: TencentError("InternalError"),
        rate_limited=lambda: TencentError("RequestLimitExceeded"),
    ),
    # Tencent refuses every sign and template action to individually certified accounts;
    # they may send (but not marketing messages: a per-number code of SendSms).
    enterprise_actions=REVIEW_ACTIONS,
)
