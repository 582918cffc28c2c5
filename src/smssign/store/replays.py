"""Replay protection: remembers which signed request tokens were already used.

Some dialects' signed requests carry a one-time token (a `Nonce`, a `random`); a signed
request captured on the wire could be sent again while its timestamp is still inside the
accepted window. Each dialect asks `first_use()` after the signature verified, and refuses
the request if the token was seen. One node keeps the tokens in memory; several nodes
share them through Redis, so a replay sent to another node is caught too.
"""

from __future__ import annotations

import hashlib
import heapq
from typing import TYPE_CHECKING

from smssign.core import errors
from smssign.core.clock import Clock
from smssign.core.ports import ReplayCache

if TYPE_CHECKING:
    from redis.asyncio import Redis


def _key(scope: str, token: tuple[str, ...]) -> str:
    # Hashed: tokens are caller-chosen text of any length.
    joined = "\0".join((scope, *token)).encode()
    return hashlib.sha256(joined).hexdigest()


class MemoryReplays:
    """Tokens in a dict with their expiry, for a single node."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []

    async def first_use(self, scope: str, token: tuple[str, ...], expires_at: float) -> bool:
        now = self.clock.now()
        self._forget_expired(now)
        key = _key(scope, token)
        if self._expiry.get(key, 0.0) > now:
            return False
        self._expiry[key] = expires_at
        heapq.heappush(self._queue, (expires_at, key))
        return True

    async def ping(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._expiry)

    def _forget_expired(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            expires_at, key = heapq.heappop(self._queue)
            if self._expiry.get(key) == expires_at:
                del self._expiry[key]


class RedisReplays:
    """Tokens as Redis keys set with NX and a time to live, shared by every node."""

    def __init__(self, client: Redis, clock: Clock, *, prefix: str = "smssign") -> None:
        self.client = client
        self.clock = clock
        self.prefix = prefix

    async def first_use(self, scope: str, token: tuple[str, ...], expires_at: float) -> bool:
        from redis.exceptions import RedisError

        # The time to live comes from our clock, not Redis's, so a node's notion of the
        # window decides; a key lives at least one second.
        ttl_ms = max(1000, int((expires_at - self.clock.now()) * 1000))
        try:
            created = await self.client.set(
                f"{self.prefix}:replay:{_key(scope, token)}", b"1", nx=True, px=ttl_ms
            )
        except (RedisError, OSError) as exc:
            raise errors.Unavailable(f"redis: {type(exc).__name__}") from exc
        return bool(created)

    async def ping(self) -> None:
        from redis.exceptions import RedisError

        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise errors.Unavailable(f"redis: {type(exc).__name__}") from exc


__all__ = ["MemoryReplays", "RedisReplays", "ReplayCache"]
