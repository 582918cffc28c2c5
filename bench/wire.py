"""Raw HTTP/1.1 on the wire: request bytes built once, responses parsed as they arrive.

The load generator writes pre-built request bytes on keep-alive connections and reads
replies with the small parser here, so that the client spends as little of the machine's
CPU per request as possible and the server, not the client, is what gets measured.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass


def build_request(
    method: str,
    path: str,
    host: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> bytes:
    """The whole request as bytes: request line, Host, the headers given, Content-Length."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True, slots=True)
class Head:
    """What the load generator needs from a response's status line and headers."""

    status: int
    length: int
    """Content-Length, or -1 when the body is chunked."""
    close: bool
    """The server will close the connection after this response."""


def parse_head(head: bytes) -> Head:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    status = int(parts[1])
    length = 0
    chunked = False
    close = parts[0] == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            token = value.strip().lower()
            close = token == b"close" or (close and token != b"keep-alive")
    return Head(status, -1 if chunked else length, close)


def take_chunked(buffer: bytearray) -> bytes | None:
    """The decoded body if `buffer` starts with a whole chunked body (consumed), else None."""
    position = 0
    body = bytearray()
    while True:
        end = buffer.find(b"\r\n", position)
        if end < 0:
            return None
        size = int(buffer[position:end].split(b";", 1)[0], 16)
        start = end + 2
        if size == 0:
            # No trailers are sent by the servers measured here: just the final CRLF.
            if len(buffer) < start + 2:
                return None
            del buffer[: start + 2]
            return bytes(body)
        if len(buffer) < start + size + 2:
            return None
        body += buffer[start : start + size]
        position = start + size + 2


def exchange(port: int, raw: bytes, *, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request on a fresh loopback connection: (status, body). Raises OSError."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        buffer = bytearray()
        head: Head | None = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
            if head is None:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    continue
                head = parse_head(bytes(buffer[:end]))
                del buffer[: end + 4]
            if head.length >= 0 and len(buffer) >= head.length:
                return head.status, bytes(buffer[: head.length])
            if head.length < 0:
                body = take_chunked(buffer)
                if body is not None:
                    return head.status, body
        raise ConnectionError("the server closed the connection before a whole reply")
