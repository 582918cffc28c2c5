"""Yunpian request bodies: form-urlencoded or multipart, read as a servlet would.

A form body is up to 16 MB, and percent-decoding all of it takes seconds of CPU. So the
cheap checks (UTF-8, the field count) run first, `apikey` is found and decoded on its own,
and the whole form is decoded only for a caller whose key is known; large bodies are
decoded off the event loop.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from smssign.dialects.yunpian.errors import BAD_FORMAT, UNDECODABLE, YunpianError
from smssign.dialects.yunpian.params import FilePart, FormValue

MAX_FIELDS = 200

MAX_ENCODED_CHARACTER = 12
"""Percent-encoded, one character takes at most 12 bytes (four UTF-8 bytes as `%XX`)."""


def form_text(body: bytes) -> str:
    """The body as text once its cheap checks pass: UTF-8 (14), at most MAX_FIELDS (2)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YunpianError(UNDECODABLE, "请使用 UTF-8 编码") from exc
    if text and text.count("&") + 1 > MAX_FIELDS:
        raise YunpianError(BAD_FORMAT, f"参数不能超过 {MAX_FIELDS} 个")
    return text


def first_value(text: str, name: str, *, longest: int) -> str | None:
    """The first non-empty value of `name` in a form, decoding nothing else.

    A value too long to decode to at most `longest` characters comes back undecoded (it
    is longer than `longest` either way), so no caller can make this decode megabytes.
    """
    longest_name = len(name) * 3
    for pair in text.split("&"):
        raw_name, _, raw_value = pair.partition("=")
        if not raw_value or len(raw_name) > longest_name:
            continue
        try:
            if unquote(raw_name.replace("+", " "), errors="strict") != name:
                continue
        except UnicodeDecodeError:
            continue  # not this name; the full decode reports it to a known caller
        if len(raw_value) > longest * MAX_ENCODED_CHARACTER:
            return raw_value
        try:
            return unquote(raw_value.replace("+", " "), errors="strict")
        except UnicodeDecodeError as exc:
            raise YunpianError(UNDECODABLE, "请使用 UTF-8 编码") from exc
    return None


def urlencoded(text: str) -> list[tuple[str, FormValue]]:
    """Every pair of a form that passed `form_text`, exactly as `parse_qsl` reads them
    (blank values kept, `+` as a space, strict UTF-8), but decoded in slices: no single
    step holds the interpreter for long, so a worker thread decoding megabytes leaves
    the event loop free."""
    if text and text.count("&") + 1 > MAX_FIELDS:
        raise YunpianError(BAD_FORMAT, f"参数不能超过 {MAX_FIELDS} 个")
    pairs: list[tuple[str, FormValue]] = []
    try:
        for pair in text.split("&") if text else ():
            if not pair:
                continue
            name, _, value = pair.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
    except UnicodeDecodeError as exc:
        raise YunpianError(UNDECODABLE, "请使用 UTF-8 编码") from exc
    return pairs


SLICE = 64 * 1024
_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


def unquote_plus(text: str) -> str:
    """`urllib.parse.unquote(text.replace("+", " "), errors="strict")`, in slices."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    # Like unquote: escapes are decoded within runs of ASCII; other text stays as sent.
    return "".join(
        _unquote_ascii(run) if run[0] < "\x80" else run
        for run in (match.group() for match in _RUNS.finditer(text))
    )


def _unquote_ascii(run: str) -> str:
    if "%" not in run:
        return run
    decoded: list[bytes] = []
    start = 0
    while start < len(run):
        end = min(start + SLICE, len(run))
        # Never cut an escape: a cut is exact just before a `%`, or two characters past one.
        while end < len(run) and run[end] != "%" and "%" in run[max(end - 2, 0) : end]:
            end += 1
        decoded.append(unquote_to_bytes(run[start:end]))
        start = end
    return b"".join(decoded).decode("utf-8")


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


def multipart(content_type: str, body: bytes) -> list[tuple[str, FormValue]]:
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
