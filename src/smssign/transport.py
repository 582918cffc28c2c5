"""What every dialect needs from an HTTP request: the body within a limit, the caller's address."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request


async def read_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return None
    return b"".join(chunks)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
