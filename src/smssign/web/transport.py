"""What every dialect needs from an HTTP request: the body within a limit, the caller's
address, and a place off the event loop to parse large bodies."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import ClientDisconnect, Request

T = TypeVar("T")

PARSING_THREADS = 2
"""Large bodies parsed at once; more wait their turn rather than take the threads that
storage I/O shares."""

_parsers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)
"""One limiter per event loop: the in-process test kit runs several loops in one process."""


async def read_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
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


async def parse_off_loop(parse: Callable[[], T]) -> T:
    """Run a CPU-bound parse in a worker thread, at most PARSING_THREADS at once, so that
    one large body never stalls the replies to everyone else."""
    loop = asyncio.get_running_loop()
    limiter = _parsers.get(loop)
    if limiter is None:
        limiter = _parsers[loop] = CapacityLimiter(PARSING_THREADS)
    return await anyio.to_thread.run_sync(parse, limiter=limiter)
