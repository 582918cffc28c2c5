"""Password hashing on its own small thread pool, apart from storage I/O.

An argon2 check costs about 170 ms of CPU on four threads of its own, and 64 MiB. Run on
the default executor, a flood of logins queues behind it the SQLite commits and blob
writes that share that pool, and every API call slows down. Here hashes run on `workers`
dedicated threads, and at most `waiting` more callers may queue for them: past that a
login is refused at once (`HashingBusy`) instead of building an unbounded backlog.

The hashing threads also run at the lowest CPU priority (nice 19; argon2's own threads
inherit it), so that on a busy machine a login flood takes the CPU time the event loop
leaves over, not the other way round. Measured on a busy two-core machine, 32
connections each trying a login every 2 s: /healthz p50/p99 went from 72/374 ms (hashes
on the default pool) to 9/81 ms (here; 6/35 ms with no flood).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

T = TypeVar("T")


class HashingBusy(Exception):
    """Every hashing thread is taken and the queue is full."""


class PasswordHashing:
    """A bounded executor for argon2 work; `admit()` guards a caller's turn."""

    def __init__(self, *, workers: int = 1, waiting: int = 16) -> None:
        self.workers = workers
        self.capacity = workers + waiting
        self._admitted = 0
        self._executor: ThreadPoolExecutor | None = None

    @property
    def admitted(self) -> int:
        """Callers holding or waiting for a hashing thread now."""
        return self._admitted

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """A place in the queue for one login, or HashingBusy right away."""
        if self._admitted >= self.capacity:
            raise HashingBusy()
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def run(self, work: Callable[[], T]) -> T:
        if self._executor is None:
            # Made on first use, so that a service that never hashes starts no thread.
            self._executor = ThreadPoolExecutor(
                max_workers=self.workers,
                thread_name_prefix="smssign-passwords",
                initializer=_lowest_priority,
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _lowest_priority() -> None:
    """Nice 19 for the calling thread (Linux keeps a nice value per thread)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
