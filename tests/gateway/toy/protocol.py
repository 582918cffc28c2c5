"""The toy dialect: a tiny signed-JSON protocol, declared entirely in the test tree.

    POST /toy/v1/<action>          body: a JSON object
    X-Toy-Key: <key id>            the account's toy TokenId (provider.py declares the kind)
    X-Toy-Time: <unix seconds>     within 120 s of the server's clock
    X-Toy-Nonce: <text>            accepted once per key within that window
    X-Toy-Signature: hex(HMAC-SHA256(secret, "<time>\\n<nonce>\\n<action>\\n" + body))

Replies: `{"ok": true, "request_id": …, "result": {…}}` with HTTP 200, or
`{"ok": false, "request_id": …, "error": {"code": …, "message": …}}` with the code's
HTTP status. Nothing here is special-cased by smssign: serve.py registers the provider's
facts (provider.py) with the runtime and the protocol with `create_app(protocols=...)`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response

from smssign.core import errors as core
from smssign.core.model import Draft, Signature
from smssign.dialects.protocol import (
    Authenticator,
    Call,
    Context,
    Errors,
    Exchange,
    Guard,
    Handler,
    Replay,
    Replies,
    WireProtocol,
)
from smssign.web.transport import read_body
from tests.gateway.toy.provider import SIGNED

NAME = "toy"
MAX_BODY_BYTES = 64 * 1024
MAX_SKEW = 120


class ToyError(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = STATUS[code]
        self.message = message or code.lower().replace("_", " ")


STATUS = {
    "NO_SUCH_ACTION": 404,
    "BAD_REQUEST": 400,
    "MISSING_CREDENTIALS": 401,
    "UNKNOWN_KEY": 401,
    "BAD_SIGNATURE": 401,
    "STALE_REQUEST": 401,
    "REPLAYED": 401,
    "RATE_LIMITED": 429,
    "NOT_ENTERPRISE": 403,
    "IN_ARREARS": 403,
    "IP_NOT_ALLOWED": 403,
    "INVALID_PARAMETER": 400,
    "NOT_FOUND": 404,
    "DUPLICATE": 409,
    "NOT_MODIFIABLE": 409,
    "INTERNAL": 500,
}

CORE_ERRORS: Mapping[type[core.SmssignError], str] = {
    core.NotEnterprise: "NOT_ENTERPRISE",
    core.InArrears: "IN_ARREARS",
    core.IpNotAllowed: "IP_NOT_ALLOWED",
    core.InvalidSubmission: "INVALID_PARAMETER",
    core.NotFound: "NOT_FOUND",
    core.Duplicate: "DUPLICATE",
    core.NotModifiable: "NOT_MODIFIABLE",
}
"""Core error class -> toy code; the most specific class that matches wins."""


def from_core(exc: core.SmssignError, context: Context) -> ToyError:
    for cls in type(exc).__mro__:
        code = CORE_ERRORS.get(cls)
        if code is not None:
            return ToyError(code, str(exc))
    return ToyError("INTERNAL")


# --- reading and authentication ------------------------------------------------------

_DIGITS = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Incoming:
    key: str
    time: str
    nonce: str
    signature: str
    body: bytes
    document: dict[str, Any]


async def read(context: Context) -> Incoming:
    request = context.request
    action = request.path_params.get("action", "")
    if action not in HANDLERS:
        raise ToyError("NO_SUCH_ACTION", action)
    context.action = action
    if request.method != "POST":
        raise ToyError("BAD_REQUEST", "use POST")
    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
        raise ToyError("BAD_REQUEST", "body too large")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ToyError("BAD_REQUEST", "body is not JSON") from exc
    if not isinstance(document, dict):
        raise ToyError("BAD_REQUEST", "body must be an object")
    headers = request.headers
    return Incoming(
        key=headers.get("x-toy-key", ""),
        time=headers.get("x-toy-time", ""),
        nonce=headers.get("x-toy-nonce", ""),
        signature=headers.get("x-toy-signature", "").lower(),
        body=body,
        document=document,
    )


def sign(secret: str, time: int, nonce: str, action: str, body: bytes) -> str:
    message = f"{time}\n{nonce}\n{action}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def key_id(exchange: Exchange[Incoming]) -> str:
    incoming = exchange.incoming
    if not incoming.key or not incoming.nonce or not incoming.signature:
        raise ToyError("MISSING_CREDENTIALS")
    return incoming.key


def timestamp(exchange: Exchange[Incoming], now: float) -> int:
    if not _DIGITS.fullmatch(exchange.incoming.time):
        raise ToyError("BAD_REQUEST", "X-Toy-Time must be unix seconds")
    time = int(exchange.incoming.time)
    if abs(now - time) > MAX_SKEW:
        raise ToyError("STALE_REQUEST")
    return time


def verify(exchange: Exchange[Incoming], secret: str) -> None:
    assert exchange.timestamp is not None
    incoming = exchange.incoming
    expected = sign(
        secret, exchange.timestamp, incoming.nonce, exchange.context.action, incoming.body
    )
    if not _HEX.fullmatch(incoming.signature) or not hmac.compare_digest(
        expected, incoming.signature
    ):
        raise ToyError("BAD_SIGNATURE")


def replay(exchange: Exchange[Incoming]) -> Replay:
    assert exchange.timestamp is not None
    return Replay(
        token=(exchange.incoming.key, exchange.incoming.nonce),
        expires_at=exchange.timestamp + MAX_SKEW,
        refusal=ToyError("REPLAYED"),
    )


# --- parameters (data) and handlers ---------------------------------------------------

PARAMETERS: Mapping[str, Mapping[str, tuple[type, bool]]] = {
    "add_signature": {"name": (str, True), "remark": (str, False)},
    "modify_signature": {"id": (int, True), "name": (str, True), "remark": (str, False)},
    "describe_signature": {"id": (int, True)},
}
"""action -> field -> (type, required). Unknown fields are refused."""


def parameters(exchange: Exchange[Incoming]) -> dict[str, Any]:
    table = PARAMETERS[exchange.context.action]
    document = exchange.incoming.document
    for name in document:
        if name not in table:
            raise ToyError("INVALID_PARAMETER", f"unknown field {name}")
    values: dict[str, Any] = {}
    for name, (kind, required) in table.items():
        if name not in document:
            if required:
                raise ToyError("INVALID_PARAMETER", f"{name} is required")
            continue
        value = document[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ToyError("INVALID_PARAMETER", f"{name} must be {kind.__name__}")
        values[name] = value
    return values


def _shown(signature: Signature) -> dict[str, Any]:
    return {
        "id": signature.id,
        "name": signature.name,
        "remark": signature.remark,
        "status": signature.status.value,
    }


async def add_signature(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    draft = Draft(name=values["name"], remark=values.get("remark", ""))
    change = await call.runtime.signatures.add(call.account, draft, dialect=NAME)
    return _shown(change.signature)


async def modify_signature(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    draft = Draft(name=values["name"], remark=values.get("remark", ""))
    change = await call.runtime.signatures.modify(call.account, values["id"], draft, dialect=NAME)
    return _shown(change.signature)


async def describe_signature(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    found = await call.runtime.signatures.describe(call.account, [values["id"]])
    if not found:
        raise core.NotFound()
    return _shown(found[0])


HANDLERS: Mapping[str, Handler] = {
    "add_signature": add_signature,
    "modify_signature": modify_signature,
    "describe_signature": describe_signature,
}


# --- replies and the declaration ------------------------------------------------------


def _reply(context: Context, status: int, body: dict[str, Any]) -> Response:
    return Response(
        orjson.dumps({**body, "request_id": context.request_id}),
        status_code=status,
        media_type="application/json",
    )


def success(context: Context, result: dict[str, Any]) -> Response:
    return _reply(context, 200, {"ok": True, "result": result})


def failure(context: Context, error: ToyError) -> Response:
    body = {"ok": False, "error": {"code": error.code, "message": error.message}}
    return _reply(context, error.status, body)


GUARDS: tuple[Guard, ...] = (
    Guard.AUTHENTICATE,
    Guard.TIMESTAMP,
    Guard.SIGNATURE,
    Guard.REPLAY,
    Guard.RATE_LIMIT,
    Guard.POLICY,
    Guard.PARAMETERS,
)

PROTOCOL: WireProtocol[Incoming, ToyError] = WireProtocol(
    name=NAME,
    paths=("/toy/v1/{action:path}",),
    read=read,
    authenticator=Authenticator(
        kind=SIGNED.name,
        key_id=key_id,
        unknown_key=lambda: ToyError("UNKNOWN_KEY"),
        timestamp=timestamp,
        signature=verify,
        replay=replay,
    ),
    guards=GUARDS,
    parameters=parameters,
    handlers=HANDLERS,
    replies=Replies(success=success, failure=failure),
    errors=Errors(
        type=ToyError,
        code=lambda error: error.code,
        from_core=from_core,
        internal=lambda: ToyError("INTERNAL"),
        rate_limited=lambda: ToyError("RATE_LIMITED"),
    ),
    enterprise_actions=frozenset({"add_signature", "modify_signature"}),
)
