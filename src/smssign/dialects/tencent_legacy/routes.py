"""The legacy gateway: `/v5/tlssmssvr/<action>` (and `/v3/`), checks in order, the envelope.

Order: action (1011), method (1030), query `sdkappid`/`random` (1004), body size and
JSON (1004), `sig` present (1003), sdkappid known (1019), `time` (1004) and skew (1021),
`sig` (1001), account policy (1006, 1033, 1009), rate limit (1013), fields (1004, 1012),
business rules. The spec suggests checking arrears and the IP allow-list before the
`sig`; we check them after it, so that only a caller holding the appkey learns the
account's standing.

Every reply is HTTP 200 with `result`, `errmsg` and `msg` (the docs used both names),
because the official SDK raises on any other status without reading the body.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from starlette.requests import Request
from starlette.responses import Response

from smssign.app.runtime import Runtime
from smssign.core import errors as core
from smssign.core import rules
from smssign.dialects.tencent_legacy import auth, params
from smssign.dialects.tencent_legacy.actions import DIALECT, HANDLERS, REQUIRES_ENTERPRISE, Call
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
from smssign.observability import record_outcome
from smssign.transport import client_ip, read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
"""Room for a 5 MB picture in base64 (about 7 MB of text) and the rest of the body."""
MEDIA_TYPE = "application/json; charset=utf-8"

_SDKAPPID = re.compile(r"[0-9]{1,19}")


def _reply(result: int, errmsg: str, payload: dict[str, Any] | None = None) -> Response:
    body = {"result": result, "errmsg": errmsg, "msg": errmsg, **(payload or {})}
    return Response(orjson.dumps(body), status_code=200, media_type=MEDIA_TYPE)


async def endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    # Known actions only: a metric label must not take any text a caller sends.
    action = request.path_params.get("action", "")
    action = action if action in HANDLERS else "unknown"
    try:
        reply = _reply(0, "OK", await _handle(request, runtime))
        record_outcome(request, DIALECT, action, "Success")
        return reply
    except LegacyError as exc:
        error = exc
    except core.SmssignError as exc:
        if isinstance(exc, core.Unavailable):
            log.warning("store unavailable: %s", exc)
        error = from_core(exc)
    except Exception:
        log.exception("unexpected error in %s", request.url.path)
        error = LegacyError(OTHER, "internal error")
    record_outcome(request, DIALECT, action, str(error.result))
    return _reply(error.result, error.errmsg)


async def _handle(request: Request, runtime: Runtime) -> dict[str, Any]:
    action = request.path_params.get("action", "")
    if action not in HANDLERS:
        raise LegacyError(NO_SUCH_API, request.url.path)
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

    presented = decoded.get("sig")
    if presented is None or (isinstance(presented, str) and not presented.strip()):
        raise LegacyError(MISSING_SIG)
    if not isinstance(presented, str):
        raise LegacyError(BAD_REQUEST, "sig must be a string")

    found = await runtime.repository.authenticate(CREDENTIAL, str(int(sdkappid)))
    if found is None:
        raise LegacyError(UNKNOWN_SDKAPPID)
    credential, account = found
    time = auth.parse_time(decoded.get("time"))
    auth.check_skew(time, runtime.clock.now())
    auth.verify(presented, appkey=credential.secret, random=random, time=time)
    # The sig covers appkey, random and time but not the body: once seen, a captured
    # (random, time, sig) must not carry another body within the skew window.
    token = (str(int(sdkappid)), random, str(time))
    if not await runtime.replays.first_use(DIALECT, token, time + auth.MAX_SKEW):
        raise LegacyError(BAD_SIG, "this random was already used with this time")

    call = Call(runtime, account, action, client_ip(request))
    enterprise_only = action in REQUIRES_ENTERPRISE
    try:
        rules.check_policy(account, call.client_ip, require_enterprise=enterprise_only)
    except core.SmssignError as exc:
        raise from_core(exc) from exc
    if not await runtime.rate_limits.allow(f"{DIALECT}:{action}", account.id):
        raise LegacyError(RATE_LIMITED)
    values = params.parse(decoded, action)
    return await HANDLERS[action](call, values)


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
