"""Request-rate limits per account and action, on the `limits` library (in memory by default)."""

from __future__ import annotations

from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimits:
    """Answers "may this account call this action now?" and counts the call if so."""

    def __init__(
        self, rates: Mapping[str, str], *, enabled: bool = True, storage: Storage | None = None
    ) -> None:
        self.enabled = enabled
        self._items: dict[str, RateLimitItem] = {key: parse(rate) for key, rate in rates.items()}
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    async def allow(self, dialect_action: str, account_id: int) -> bool:
        if not self.enabled:
            return True
        item = self._items.get(dialect_action)
        if item is None:
            return True
        return bool(await self._limiter.hit(item, dialect_action, str(account_id)))
