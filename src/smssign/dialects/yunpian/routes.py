"""The Yunpian gateway: `/v2/sign/<action>.json`, checks in order, the two envelopes.

Order: path, method (11), body size (2), form decoding (14, 2), `apikey` (1, -1),
account policy (3 arrears, -3 IP), rate limit (-5), parameters (1, 2), business rules.
Success is HTTP 200 with `code` 0; every error is HTTP 400 with `http_status_code`,
`code`, `msg` and `detail`. Replies always say `application/json;charset=utf-8`: without
a charset `requests` would decode Chinese text as ISO-8859-1.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import orjson
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response

from smssign.app.runtime import Runtime
from smssign.core import errors as core
from smssign.core import rules
from smssign.dialects.yunpian import auth, params
from smssign.dialects.yunpian.actions import DIALECT, HANDLERS, REQUIRES_ENTERPRISE, Call
from smssign.dialects.yunpian.errors import (
    BAD_FORMAT,
    GET_NOT_SUPPORTED,
    NOT_PERMITTED,
    TOO_FREQUENT,
    UNDECODABLE,
    UNKNOWN,
    YunpianError,
    from_core,
)
from smssign.dialects.yunpian.params import FilePart, FormValue
from smssign.observability import record_outcome
from smssign.transport import client_ip, read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Room for one 10 MB licence image in percent-encoded base64 and the other fields."""
MAX_FIELDS = 200
MEDIA_TYPE = "application/json;charset=utf-8"

PATHS = {"add.json": "add", "update.json": "update", "get.json": "get"}


def _reply(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE)


async def endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    # Known actions only: a metric label must not take any text a caller sends.
    action = PATHS.get(request.path_params.get("name", ""), "unknown")
    try:
        reply = _reply({"code": 0, "msg": "OK", **await _handle(request, runtime)})
        record_outcome(request, DIALECT, action, "Success")
        return reply
    except YunpianError as exc:
        error = exc
    except core.SmssignError as exc:
        if isinstance(exc, core.Unavailable):
            log.warning("store unavailable: %s", exc)
        error = from_core(exc)
    except Exception:
        log.exception("unexpected error in %s", request.url.path)
        error = YunpianError(UNKNOWN)
    record_outcome(request, DIALECT, action, str(error.code))
    return _reply(
        {
            "http_status_code": error.http_status,
            "code": error.code,
            "msg": error.msg,
            "detail": error.detail,
        },
        error.http_status,
    )


async def _handle(request: Request, runtime: Runtime) -> dict[str, Any]:
    action = PATHS.get(request.path_params.get("name", ""))
    if action is None:
        raise YunpianError(NOT_PERMITTED, f"接口不存在: {request.url.path}", http_status=404)
    if request.method != "POST":
        raise YunpianError(GET_NOT_SUPPORTED, "请使用 POST 调用")
    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
        raise YunpianError(BAD_FORMAT, f"请求体超过 {MAX_BODY_BYTES} 字节")
    content_type = request.headers.get("content-type", "")
    if content_type.lower().lstrip().startswith("multipart/form-data"):
        items = _multipart(content_type, body)
    else:
        # Whatever else the header says, the documented body is form-urlencoded.
        items = _urlencoded(body)

    account = await auth.authenticate(runtime, items)
    call = Call(runtime, account, action, client_ip(request))
    try:
        rules.check_policy(account, call.client_ip, require_enterprise=REQUIRES_ENTERPRISE)
    except core.SmssignError as exc:
        raise from_core(exc) from exc
    if not await runtime.rate_limits.allow(f"{DIALECT}:{action}", account.id):
        raise YunpianError(TOO_FREQUENT, "请降低调用频率")
    values = params.parse(items, action)
    return await HANDLERS[action](call, values)


def _urlencoded(body: bytes) -> list[tuple[str, FormValue]]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError as exc:
        raise YunpianError(UNDECODABLE, "请使用 UTF-8 编码") from exc
    except ValueError as exc:
        raise YunpianError(BAD_FORMAT, f"参数不能超过 {MAX_FIELDS} 个") from exc
    return list(pairs)


class _Parts:
    """Collects the parts of a multipart body from the parser's callbacks."""

    def __init__(self) -> None:
        self.items: list[tuple[str, FormValue]] = []
        self.headers: dict[bytes, bytes] = {}
        self.header_name = b""
        self.header_value = b""
        self.data = bytearray()
        self.finished = False

    def on_part_begin(self) -> None:
        if len(self.items) >= MAX_FIELDS:
            raise YunpianError(BAD_FORMAT, f"参数不能超过 {MAX_FIELDS} 个")
        self.headers = {}
        self.data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_name.strip().lower()] = self.header_value.strip()
        self.header_name = self.header_value = b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]

    def on_part_end(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise YunpianError(BAD_FORMAT, "multipart 每个部分都需要 name")
        try:
            name = options[b"name"].decode("utf-8")
            if b"filename" in options:
                value: FormValue = FilePart(
                    filename=options[b"filename"].decode("utf-8"),
                    content_type=self.headers.get(b"content-type", b"").decode("latin-1"),
                    data=bytes(self.data),
                )
            else:
                value = bytes(self.data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YunpianError(UNDECODABLE, "请使用 UTF-8 编码") from exc
        self.items.append((name, value))

    def on_end(self) -> None:
        self.finished = True


def _multipart(content_type: str, body: bytes) -> list[tuple[str, FormValue]]:
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise YunpianError(BAD_FORMAT, "multipart 缺少 boundary")
    parts = _Parts()
    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": parts.on_part_begin,
                "on_header_field": parts.on_header_field,
                "on_header_value": parts.on_header_value,
                "on_header_end": parts.on_header_end,
                "on_part_data": parts.on_part_data,
                "on_part_end": parts.on_part_end,
                "on_end": parts.on_end,
            },
        )
        parser.write(body)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise YunpianError(BAD_FORMAT, "multipart 格式错误") from exc
    if not parts.finished:
        raise YunpianError(BAD_FORMAT, "multipart 请求体不完整")
    return parts.items
