"""The API 3.0 gateway: `/` for GET and POST, checks in Tencent's order, the JSON envelope.

Order: method, size, action and version, authentication, region (2021), rate limit,
parameters, account policy, business rules. Every reply is HTTP 200 with
`Content-Type: application/json` and a RequestId, errors included, because the official
SDKs only read error codes from such replies.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from smssign.app.runtime import Runtime
from smssign.core import errors as core
from smssign.core import rules
from smssign.dialects.tencent_v3 import auth, params
from smssign.dialects.tencent_v3.actions import DIALECT, HANDLERS, REQUIRES_ENTERPRISE, Call
from smssign.dialects.tencent_v3.errors import TencentError, from_core
from smssign.dialects.tencent_v3.provider import CREDENTIAL, REGIONS
from smssign.observability import current_request_id, record_outcome
from smssign.transport import client_ip, read_body

log = logging.getLogger(__name__)

MAX_GET_BYTES = 32 * 1024
MAX_V1_POST_BYTES = 1024 * 1024
MAX_TC3_POST_BYTES = 10 * 1024 * 1024


def _reply(payload: dict[str, Any]) -> Response:
    return Response(
        orjson.dumps({"Response": payload}), status_code=200, media_type="application/json"
    )


def _language(value: str | None) -> str:
    return "zh-CN" if value == "zh-CN" else "en-US"


async def endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = current_request_id(request) or runtime.randomness.request_id()
    headers = {k.lower(): v for k, v in request.headers.items()}
    request.state.language = _language(headers.get("x-tc-language"))
    try:
        body = await _handle(request, runtime, headers)
        body["RequestId"] = request_id
        record_outcome(request, DIALECT, request.state.action, "Success")
        return _reply(body)
    except TencentError as exc:
        error = exc
    except core.SmssignError as exc:
        error = from_core(exc, "", "")
        if isinstance(exc, core.Unavailable):
            log.warning("store unavailable: %s", exc)
    except Exception:
        log.exception("unexpected error in request %s", request_id)
        error = TencentError("InternalError")
    # Known actions only: the label must not take any text a caller sends.
    record_outcome(request, DIALECT, getattr(request.state, "action", "unknown"), error.code)
    return _reply(
        {
            "Error": {"Code": error.code, "Message": error.message(request.state.language)},
            "RequestId": request_id,
        }
    )


async def _handle(request: Request, runtime: Runtime, headers: dict[str, str]) -> dict[str, Any]:
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
            request.state.language = _language(flat.get("Language"))
    if action not in HANDLERS:
        raise TencentError("InvalidAction", action or None)
    request.state.action = action
    if version not in params.VERSIONS:
        raise TencentError("NoSuchVersion", version or None)

    now = runtime.clock.now()
    if tc3:
        authorization = auth.parse_authorization(headers["authorization"])
        found = await runtime.repository.authenticate(CREDENTIAL, authorization.secret_id)
        if found is None:
            raise TencentError("AuthFailure.SecretIdNotFound")
        credential, account = found
        timestamp = auth.check_timestamp(headers.get("x-tc-timestamp"), now)
        auth.verify_tc3(
            authorization,
            secret_key=credential.secret,
            method=method,
            query=raw_query,
            headers=headers,
            body=body,
            timestamp=timestamp,
        )
    else:
        assert flat is not None
        for name in ("SecretId", "Signature", "Timestamp", "Nonce"):
            if not flat.get(name):
                raise TencentError("MissingParameter", name)
        found = await runtime.repository.authenticate(CREDENTIAL, flat["SecretId"])
        if found is None:
            raise TencentError("AuthFailure.SecretIdNotFound")
        credential, account = found
        v1_timestamp = auth.check_timestamp(flat["Timestamp"], now)
        auth.verify_v1(
            secret_key=credential.secret,
            method=method,
            host=headers.get("host", ""),
            params=flat,
            signature=flat["Signature"],
        )
        # A signed v1 request is good for the whole skew window; refuse a second use.
        token = (flat["SecretId"], flat["Nonce"], str(v1_timestamp))
        if not await runtime.replays.first_use(DIALECT, token, v1_timestamp + auth.MAX_SKEW):
            raise TencentError("AuthFailure.SignatureFailure", "this Nonce was already used")

    if version == params.V2021:
        if not region:
            raise TencentError("MissingParameter", "Region")
        if region not in REGIONS:
            raise TencentError("UnsupportedRegion", region)

    if not await runtime.rate_limits.allow(f"{DIALECT}:{action}", account.id):
        raise TencentError("RequestLimitExceeded")

    table = params.TABLES[(action, version)]
    if flat is not None:
        values = params.from_flat(flat, table)
    else:
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise TencentError("FailedOperation.JsonParseFail") from exc
        values = params.from_json(decoded, table)

    call = Call(runtime, account, action, version, client_ip(request))
    try:
        rules.check_policy(account, call.client_ip, require_enterprise=REQUIRES_ENTERPRISE)
        return await HANDLERS[action](call, values)
    except core.SmssignError as exc:
        if isinstance(exc, core.Unavailable):
            log.warning("store unavailable: %s", exc)
        raise from_core(exc, action, version) from exc


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
