"""Alibaba Cloud dysmsapi 2017-05-25 as the gateway serves it: RPC on `/`, GET and POST.

It shares `/` with Tencent Cloud API 3.0 and claims a request by what it carries: an
`x-acs-*` header or an `ACS3-` Authorization (the Tea and legacy SDKs send both kinds of
request with `x-acs-action`), or the RPC v1 parameters `AccessKeyId`/`SignatureNonce`.
Parameters are the query and a form body merged; bodies may come chunked (the Node SDK).

Order: method, size, action and version (read), the retired-actions switch, key id,
timestamp, signature, nonce replay, rate limit, account policy, parameters, business
rules, as Alibaba's error list orders them. Replies are JSON
`application/json;charset=utf-8` with a RequestId: HTTP 200 with `Code` "OK" or a
business code, the gateway shape with its HTTP status otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from smssign.core import errors as core
from smssign.dialects.aliyun import auth, params
from smssign.dialects.aliyun.errors import AliyunError, from_core, missing
from smssign.dialects.aliyun.provider import CREDENTIAL
from smssign.dialects.aliyun.query_actions import QUERY_HANDLERS
from smssign.dialects.aliyun.send_actions import SEND_HANDLERS
from smssign.dialects.aliyun.sign_actions import DIALECT, SIGN_HANDLERS
from smssign.dialects.aliyun.template_actions import TEMPLATE_HANDLERS
from smssign.dialects.protocol import (
    Authenticator,
    Context,
    Errors,
    Exchange,
    Guard,
    Replay,
    Replies,
    WireProtocol,
)
from smssign.web.transport import read_body

VERSION = "2017-05-25"
MAX_QUERY_BYTES = 64 * 1024
MAX_BODY_BYTES = 10 * 1024 * 1024
HOST = "dysmsapi.aliyuncs.com"
MEDIA_TYPE = "application/json;charset=utf-8"

HANDLERS = {**SIGN_HANDLERS, **TEMPLATE_HANDLERS, **SEND_HANDLERS, **QUERY_HANDLERS}

RETIRED = frozenset(
    {
        "AddSmsSign",
        "ModifySmsSign",
        "QuerySmsSign",
        "AddSmsTemplate",
        "ModifySmsTemplate",
        "QuerySmsTemplate",
    }
)
"""The old generation, which Alibaba has taken offline or announced to take offline.
They answer as retired only when the server's `refuse_retired_actions` setting is on
(`serve --refuse-retired-actions`); the clients still ship them, so by default they work."""


@dataclass(slots=True)
class Incoming:
    """A request as read: ACS3 when it has an Authorization header, else RPC v1."""

    method: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    merged: dict[str, str]
    """Query and form parameters; the form wins a name both carry."""
    authorization: auth.Acs3Authorization | None = field(default=None)

    @property
    def acs3(self) -> bool:
        return "authorization" in self.headers


def recognises(request: Request) -> bool:
    headers = request.headers
    if headers.get("authorization", "").startswith("ACS3-"):
        return True
    if any(name.startswith("x-acs-") for name in headers):
        return True
    query = request.query_params
    return "AccessKeyId" in query or "SignatureNonce" in query


def _pairs(text: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AliyunError("InvalidParameter", "the parameters are not UTF-8 form-encoded") from exc


async def read(context: Context) -> Incoming:
    request = context.request
    method = request.method
    if method not in ("GET", "POST"):
        raise AliyunError("UnsupportedHTTPMethod")
    headers = {k.lower(): v for k, v in request.headers.items()}
    raw_query = request.scope.get("query_string", b"")
    if len(raw_query) > MAX_QUERY_BYTES:
        raise AliyunError("RequestTooLarge")
    query = _pairs(raw_query.decode("latin-1"))
    body = b""
    if method == "POST":
        received = await read_body(request, MAX_BODY_BYTES)
        if received is None:
            raise AliyunError("RequestTooLarge")
        body = received
    form: dict[str, str] = {}
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AliyunError("InvalidParameter", "the body is not UTF-8") from exc
        form = _pairs(text)
    merged = {**query, **form}
    acs3 = "authorization" in headers
    action = headers.get("x-acs-action", "") if acs3 else merged.get("Action", "")
    version = headers.get("x-acs-version", "") if acs3 else merged.get("Version", "")
    if not action:
        raise AliyunError("MissingParameter", "Action")
    if action not in HANDLERS:
        raise AliyunError("InvalidAction.NotFound", action[:100])
    if action in RETIRED and getattr(context.services.settings, "refuse_retired_actions", False):
        raise AliyunError("InvalidApi.NotFound", f"{action} is retired")
    context.action = action
    if version != VERSION:
        raise AliyunError("InvalidVersion", version[:40] or None)
    context.version = version
    return Incoming(method, headers, query, body, merged)


# --- authentication -------------------------------------------------------------------

_V1_REQUIRED = ("Signature", "SignatureNonce", "Timestamp", "SignatureMethod")
_ACS3_REQUIRED = ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")


def key_id(exchange: Exchange[Incoming]) -> str:
    incoming = exchange.incoming
    if incoming.acs3:
        for name in _ACS3_REQUIRED:
            if not incoming.headers.get(name):
                raise AliyunError("MissingParameter", name)
        incoming.authorization = auth.parse_authorization(incoming.headers["authorization"])
        return incoming.authorization.access_key_id
    if not incoming.merged.get("AccessKeyId"):
        raise missing("AccessKeyId")
    for name in _V1_REQUIRED:
        if not incoming.merged.get(name):
            raise AliyunError("MissingParameter", name)
    return incoming.merged["AccessKeyId"]


def timestamp(exchange: Exchange[Incoming], now: float) -> int:
    incoming = exchange.incoming
    raw = incoming.headers["x-acs-date"] if incoming.acs3 else incoming.merged["Timestamp"]
    return auth.check_timestamp(raw, now)


def signature(exchange: Exchange[Incoming], secret: str) -> None:
    incoming = exchange.incoming
    if incoming.authorization is not None:
        auth.verify_acs3(
            incoming.authorization,
            secret=secret,
            method=incoming.method,
            query=incoming.query,
            headers=incoming.headers,
            body=incoming.body,
        )
        return
    auth.verify_v1(secret=secret, method=incoming.method, params=incoming.merged)


def replay(exchange: Exchange[Incoming]) -> Replay:
    """Both schemes carry a nonce: each is good once per AccessKeyId in the window."""
    incoming = exchange.incoming
    assert exchange.timestamp is not None
    if incoming.authorization is not None:
        key, nonce = incoming.authorization.access_key_id, incoming.headers["x-acs-signature-nonce"]
    else:
        key, nonce = incoming.merged["AccessKeyId"], incoming.merged["SignatureNonce"]
    return Replay(
        token=(key, nonce),
        expires_at=exchange.timestamp + auth.MAX_SKEW,
        refusal=AliyunError("SignatureNonceUsed"),
    )


def parameters(exchange: Exchange[Incoming]) -> dict[str, Any]:
    return params.parse(exchange.context.action, exchange.incoming.merged)


# --- replies --------------------------------------------------------------------------


def _reply(context: Context, payload: dict[str, Any], status: int) -> Response:
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={"x-acs-request-id": context.request_id},
    )


def success(context: Context, payload: dict[str, Any]) -> Response:
    return _reply(
        context, {"RequestId": context.request_id, "Code": "OK", "Message": "OK", **payload}, 200
    )


def failure(context: Context, error: AliyunError) -> Response:
    body: dict[str, Any] = {"RequestId": context.request_id}
    if error.status != 200:
        body["HostId"] = HOST
    body["Code"] = error.code
    body["Message"] = error.message
    if error.status != 200:
        body["Recommend"] = (
            f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Dysmsapi"
            f"&requestId={context.request_id}"
        )
    return _reply(context, body, error.status)


def _from_core(exc: core.SmssignError, context: Context) -> AliyunError:
    return from_core(exc, context.action)


PROTOCOL: WireProtocol[Incoming, AliyunError] = WireProtocol(
    name=DIALECT,
    paths=("/",),
    read=read,
    authenticator=Authenticator(
        kind=CREDENTIAL,
        key_id=key_id,
        unknown_key=lambda: AliyunError("InvalidAccessKeyId.NotFound"),
        timestamp=timestamp,
        signature=signature,
        replay=replay,
    ),
    guards=(
        Guard.AUTHENTICATE,
        Guard.TIMESTAMP,
        Guard.SIGNATURE,
        Guard.REPLAY,
        Guard.RATE_LIMIT,
        Guard.POLICY,
        Guard.PARAMETERS,
    ),
    parameters=parameters,
    handlers=HANDLERS,
    replies=Replies(success=success, failure=failure),
    errors=Errors(
        type=AliyunError,
        code=lambda error: error.code,
        from_core=_from_core,
        internal=lambda: AliyunError("InternalError"),
        rate_limited=lambda: AliyunError("Throttling.User"),
    ),
    recognises=recognises,
)
