"""Request-rate limits per account and action, on the `limits` library.

In memory for one node; in Redis (`redis_storage`) when several nodes must share the
count, so an account gets its calls per second summed over all of them. With limits off
(`--no-rate-limit`, the in-process mock) the library is not imported at all: it and
what it pulls in were a tenth of a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smssign.core import errors

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.aio.storage import Storage
    from limits.aio.strategies import MovingWindowRateLimiter
    from redis.asyncio import Redis


def redis_storage(url: str, client: Redis, *, prefix: str = "smssign") -> Storage:
    """Moving windows kept in Redis, on `client`'s connection pool (closed with it)."""
    from limits.aio.storage import RedisStorage

    # Passed through to redis.asyncio.Redis, which limits types more narrowly.
    options: dict[str, Any] = {"connection_pool": client.connection_pool}
    return RedisStorage(
        "async+" + url,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=f"{prefix}:limits",
        **options,
    )


class RateLimits:
    """Answers "may this account call this action now?" and counts the call if so."""

    def __init__(
        self, rates: Mapping[str, str], *, enabled: bool = True, storage: Storage | None = None
    ) -> None:
        self.enabled = enabled
        self._items: dict[str, RateLimitItem] = {}
        self._limiter: MovingWindowRateLimiter | None = None
        self._failures: tuple[type[Exception], ...] = (OSError,)
        """What an unreachable storage raises."""
        if enabled:
            from limits import parse
            from limits.aio.storage import MemoryStorage
            from limits.aio.strategies import MovingWindowRateLimiter
            from limits.errors import StorageError

            self._items = {key: parse(rate) for key, rate in rates.items()}
            self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
            self._failures = (StorageError, OSError)

    async def allow(self, dialect_action: str, account_id: int) -> bool:
        if not self.enabled or self._limiter is None:
            return True
        item = self._items.get(dialect_action)
        if item is None:
            return True
        try:
            return bool(await self._limiter.hit(item, dialect_action, str(account_id)))
        except self._failures as exc:
            # The shared counter is unreachable: refuse with an internal error rather
            # than let calls through unlimited.
            raise errors.Unavailable(f"rate limit storage: {type(exc).__name__}") from exc

    async def reset(self) -> None:
        """Forget every count (`POST /_smssign/reset`: account ids start again from 1)."""
        if self._limiter is None:
            return
        try:
            await self._limiter.storage.reset()
        except self._failures as exc:
            raise errors.Unavailable(f"rate limit storage: {type(exc).__name__}") from exc
