"""Legacy Tencent SMS v5 as the gateway serves it: `/v5/tlssmssvr/<action>` (and `/v3/`).

Order: action (1011), method (1030), query `sdkappid`/`random` (1004), body size and
JSON (1004), `sig` present (1003), sdkappid known (1019), `time` (1004) and skew (1021),
`sig` (1001), replay (1001), account policy (1006, 1033, 1009), rate limit (1013), fields
(1004, 1012), business rules. The spec suggests checking arrears and the IP allow-list
before the `sig`; we check them after it, so that only a caller holding the appkey learns
the account's standing.

Every reply is HTTP 200 with `result`, `errmsg` and `msg` (the docs used both names),
because the official SDK raises on any other status without reading the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from starlette.responses import Response

from smssign.core import errors as core
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
from smssign.dialects.tencent_legacy import auth, params, send_params
from smssign.dialects.tencent_legacy.actions import DIALECT, HANDLERS, REQUIRES_ENTERPRISE
from smssign.dialects.tencent_legacy.errors import (
    BAD_REQUEST,
    BAD_SIG,
    MISSING_SIG,
    NO_SUCH_API,
    NOT_SUPPORTED,
    OTHER,
    RATE_LIMITED,
    UNKNOWN_SDKAPPID,
    LegacyError,
    from_core,
)
from smssign.dialects.tencent_legacy.provider import CREDENTIAL
from smssign.dialects.tencent_legacy.send_actions import SEND_HANDLERS
from smssign.web.transport import read_body

MAX_BODY_BYTES = 10 * 1024 * 1024
"""Room for a 5 MB picture in base64 (about 7 MB of text) and the rest of the body."""
MEDIA_TYPE = "application/json; charset=utf-8"

ALL_HANDLERS = {**HANDLERS, **SEND_HANDLERS}

_SDKAPPID = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class Incoming:
    sdkappid: str
    """Canonical decimal form: what the credential's key id is."""
    random: str
    """Exactly as the query carried it: the sig covers this text."""
    body: dict[str, Any]


async def read(context: Context) -> Incoming:
    request = context.request
    action = request.path_params.get("action", "")
    if action not in ALL_HANDLERS:
        raise LegacyError(NO_SUCH_API, request.url.path)
    context.action = action
    if request.method != "POST":
        raise LegacyError(NOT_SUPPORTED, "use POST")

    query = _query(request.scope.get("query_string", b""))
    sdkappid = query.get("sdkappid", "")
    if not _SDKAPPID.fullmatch(sdkappid):
        raise LegacyError(BAD_REQUEST, "sdkappid must be an integer in the query")
    random = query.get("random", "")
    if not random:
        raise LegacyError(BAD_REQUEST, "random is missing from the query")

    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
        raise LegacyError(BAD_REQUEST, f"the body is larger than {MAX_BODY_BYTES} bytes")
    # JSON whatever the Content-Type says: some wrappers send none at all.
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise LegacyError(BAD_REQUEST, "the body is not JSON") from exc
    if not isinstance(decoded, dict):
        raise LegacyError(BAD_REQUEST, "the body must be a JSON object")
    return Incoming(str(int(sdkappid)), random, decoded)


def _query(raw: bytes) -> dict[str, str]:
    """The first value of each query key, percent-decoded as UTF-8 but otherwise verbatim.

    `+` stays `+`: clients build this query by string formatting, not form encoding, and
    `random` must reach the sig check exactly as it was signed.
    """
    values: dict[str, str] = {}
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            key = unquote_to_bytes(name).decode("utf-8")
            text = unquote_to_bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LegacyError(BAD_REQUEST, "the query is not UTF-8") from exc
        values.setdefault(key, text)
    return values


# --- authentication -------------------------------------------------------------------


def _presented(incoming: Incoming) -> str:
    presented = incoming.body.get("sig")
    if presented is None or (isinstance(presented, str) and not presented.strip()):
        raise LegacyError(MISSING_SIG)
    if not isinstance(presented, str):
        raise LegacyError(BAD_REQUEST, "sig must be a string")
    return presented


def key_id(exchange: Exchange[Incoming]) -> str:
    _presented(exchange.incoming)
    return exchange.incoming.sdkappid


def timestamp(exchange: Exchange[Incoming], now: float) -> int:
    time = auth.parse_time(exchange.incoming.body.get("time"))
    auth.check_skew(time, now)
    return time


def signature(exchange: Exchange[Incoming], secret: str) -> None:
    assert exchange.timestamp is not None
    incoming = exchange.incoming
    # The sending actions also sign the numbers they send to.
    numbers = send_params.signed_numbers(exchange.context.action, incoming.body)
    auth.verify(
        _presented(incoming),
        appkey=secret,
        random=incoming.random,
        time=exchange.timestamp,
        numbers=numbers,
    )


def replay(exchange: Exchange[Incoming]) -> Replay:
    """The sig covers appkey, random and time but not the body: once seen, a captured
    (random, time, sig) must not carry another body within the skew window."""
    assert exchange.timestamp is not None
    incoming = exchange.incoming
    return Replay(
        token=(incoming.sdkappid, incoming.random, str(exchange.timestamp)),
        expires_at=exchange.timestamp + auth.MAX_SKEW,
        refusal=LegacyError(BAD_SIG, "this random was already used with this time"),
    )


def parameters(exchange: Exchange[Incoming]) -> dict[str, Any]:
    action = exchange.context.action
    if action in SEND_HANDLERS:
        return send_params.parse(exchange.incoming.body, action)
    return params.parse(exchange.incoming.body, action)


# --- replies --------------------------------------------------------------------------


def _reply(result: int, errmsg: str, payload: dict[str, Any] | None = None) -> Response:
    body = {"result": result, "errmsg": errmsg, "msg": errmsg, **(payload or {})}
    return Response(orjson.dumps(body), status_code=200, media_type=MEDIA_TYPE)


def _from_core(exc: core.SmssignError, context: Context) -> LegacyError:
    return from_core(exc, context.action)


PROTOCOL: WireProtocol[Incoming, LegacyError] = WireProtocol(
    name=DIALECT,
    paths=("/v5/tlssmssvr/{action:path}", "/v3/tlssmssvr/{action:path}"),
    read=read,
    authenticator=Authenticator(
        kind=CREDENTIAL,
        key_id=key_id,
        unknown_key=lambda: LegacyError(UNKNOWN_SDKAPPID),
        timestamp=timestamp,
        signature=signature,
        replay=replay,
    ),
    guards=(
        Guard.AUTHENTICATE,
        Guard.TIMESTAMP,
        Guard.SIGNATURE,
        Guard.REPLAY,
        Guard.POLICY,
        Guard.RATE_LIMIT,
        Guard.PARAMETERS,
    ),
    parameters=parameters,
    handlers=ALL_HANDLERS,
    replies=Replies(
        success=lambda context, payload: _reply(0, "OK", payload),
        failure=lambda context, error: _reply(error.result, error.errmsg, error.payload),
    ),
    errors=Errors(
        type=LegacyError,
        code=lambda error: str(error.result),
        from_core=_from_core,
        internal=lambda: LegacyError(OTHER, "internal error"),
        rate_limited=lambda: LegacyError(RATE_LIMITED),
    ),
    enterprise_actions=REQUIRES_ENTERPRISE,
)
