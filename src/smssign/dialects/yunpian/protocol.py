"""Yunpian v2 as the gateway serves it: `/v2/sign/*`, `/v2/sms/*`, `/v2/user/get.json`.

Order: path, method (11), body size (2), UTF-8 and field count (14, 2), `apikey` (1, -1),
the rest of the form (14, 2), account policy (3 arrears, -3 IP), rate limit (-5),
parameters (1, 2), business rules. The apikey is found and checked before the form is
percent-decoded, so an unknown caller never costs the decoding of a 16 MB body.

Success is HTTP 200: `code` 0 for the sign actions and single sends, otherwise the bare
object or array Yunpian answers (send_actions.body); every error is HTTP 400 with
`http_status_code`, `code`, `msg` and `detail`. Replies always say
`application/json;charset=utf-8`: without a charset `requests` would decode Chinese text
as ISO-8859-1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    Replies,
    WireProtocol,
)
from smssign.dialects.yunpian import auth, form, params, send_actions, send_params
from smssign.dialects.yunpian.actions import DIALECT, ENTERPRISE_ACTIONS, HANDLERS
from smssign.dialects.yunpian.auth import CREDENTIAL
from smssign.dialects.yunpian.errors import (
    BAD_FORMAT,
    GET_NOT_SUPPORTED,
    NOT_PERMITTED,
    TOO_FREQUENT,
    UNKNOWN,
    YunpianError,
    from_core,
)
from smssign.dialects.yunpian.params import FormValue
from smssign.dialects.yunpian.template_actions import TEMPLATE_PATHS, TEMPLATE_REPLY
from smssign.web.transport import parse_off_loop, read_body

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Room for one 10 MB licence image in percent-encoded base64 and the other fields."""
INLINE_PARSE_BYTES = 64 * 1024
"""Bodies up to this size are decoded on the event loop; larger ones in a worker thread."""
MEDIA_TYPE = "application/json;charset=utf-8"

PATHS = {"add.json": "add", "update.json": "update", "get.json": "get"}
ALL_HANDLERS = {**HANDLERS, **send_actions.SEND_HANDLERS}


@dataclass(slots=True)
class Incoming:
    text: str | None
    """A form-urlencoded body that passed the cheap checks, not yet decoded."""
    items: list[tuple[str, FormValue]] | None
    """The decoded form: at once for multipart, after the apikey for urlencoded."""


Form = list[tuple[str, FormValue]]


async def _off_loop_if_large(size: int, parse: Callable[[], Form]) -> Form:
    if size <= INLINE_PARSE_BYTES:
        return parse()
    return await parse_off_loop(parse)


def _action(path: str, name: str) -> str | None:
    _, _, below = path.partition("/v2/")
    if below.startswith("sign/"):
        return PATHS.get(name)
    return send_actions.ROUTES.get(below)


async def read(context: Context) -> Incoming:
    request = context.request
    if request.url.path.startswith("/v2/tpl/"):
        action = TEMPLATE_PATHS.get(request.path_params.get("name", ""))
    else:
        action = _action(request.url.path, request.path_params.get("name", ""))
    if action is None:
        raise YunpianError(NOT_PERMITTED, f"接口不存在: {request.url.path}", http_status=404)
    context.action = action
    if request.method != "POST":
        raise YunpianError(GET_NOT_SUPPORTED, "请使用 POST 调用")
    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
        raise YunpianError(BAD_FORMAT, f"请求体超过 {MAX_BODY_BYTES} 字节")
    content_type = request.headers.get("content-type", "")
    if content_type.lower().lstrip().startswith("multipart/form-data"):
        # The apikey is one of the parts: the parts must be found first.
        items = await _off_loop_if_large(len(body), lambda: form.multipart(content_type, body))
        return Incoming(text=None, items=items)
    # Whatever else the header says, the documented body is form-urlencoded.
    return Incoming(text=form.form_text(body), items=None)


def key_id(exchange: Exchange[Incoming]) -> str:
    incoming = exchange.incoming
    if incoming.items is not None:
        return auth.key_id(params.first(incoming.items, "apikey"))
    assert incoming.text is not None
    return auth.key_id(form.first_value(incoming.text, "apikey", longest=auth.MAX_APIKEY))


async def decode_form(exchange: Exchange[Incoming]) -> None:
    incoming = exchange.incoming
    if incoming.items is None:
        text = incoming.text or ""
        incoming.items = await _off_loop_if_large(len(text), lambda: form.urlencoded(text))


def parameters(exchange: Exchange[Incoming]) -> dict[str, Any]:
    assert exchange.incoming.items is not None  # decode_form ran
    action = exchange.context.action
    if action in send_actions.SEND_HANDLERS:
        return send_params.parse(exchange.incoming.items, action)
    return params.parse(exchange.incoming.items, action)


def _reply(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE)


def success(context: Context, payload: dict[str, Any]) -> Response:
    if TEMPLATE_REPLY in payload:
        # Template replies have no envelope: the object or array is the whole body.
        return Response(orjson.dumps(payload[TEMPLATE_REPLY]), media_type=MEDIA_TYPE)
    return _reply(send_actions.body(payload))


def failure(context: Context, error: YunpianError) -> Response:
    body = {
        "http_status_code": error.http_status,
        "code": error.code,
        "msg": error.msg,
        "detail": error.detail,
    }
    return _reply(body, error.http_status)


def _from_core(exc: core.SmssignError, context: Context) -> YunpianError:
    return from_core(exc, context.action)


PROTOCOL: WireProtocol[Incoming, YunpianError] = WireProtocol(
    name=DIALECT,
    paths=(
        "/v2/sign/{name:path}",
        "/v2/tpl/{name:path}",
        "/v2/sms/{name:path}",
        "/v2/user/{name:path}",
    ),
    read=read,
    authenticator=Authenticator(kind=CREDENTIAL, key_id=key_id, unknown_key=auth.unknown_key),
    guards=(
        Guard.AUTHENTICATE,
        Check("form", decode_form),
        Guard.POLICY,
        Guard.RATE_LIMIT,
        Guard.PARAMETERS,
    ),
    parameters=parameters,
    handlers=ALL_HANDLERS,
    replies=Replies(
        success=success,
        failure=failure,
    ),
    errors=Errors(
        type=YunpianError,
        code=lambda error: str(error.code),
        from_core=_from_core,
        internal=lambda: YunpianError(UNKNOWN),
        rate_limited=lambda: YunpianError(TOO_FREQUENT, "请降低调用频率"),
    ),
    enterprise_actions=ENTERPRISE_ACTIONS,
)
