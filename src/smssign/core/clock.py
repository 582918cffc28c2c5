"""Time and randomness as injectable sources, so tests can pin them."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix time in seconds."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


class Randomness(Protocol):
    def request_id(self) -> str: ...

    def token(self, nbytes: int) -> str:
        """A fresh hex secret of `nbytes` random bytes."""
        ...

    def digits(self, count: int) -> str: ...


class SystemRandomness:
    def request_id(self) -> str:
        return str(uuid.uuid4())

    def token(self, nbytes: int) -> str:
        return secrets.token_hex(nbytes)

    def digits(self, count: int) -> str:
        # One draw for all the digits (a SendSms to 200 numbers makes 200 serial numbers
        # of 28 digits: a draw per digit was a third of its time); the first is not 0.
        if count <= 0:
            return ""
        low = 10 ** (count - 1)
        return str(low + secrets.randbelow(9 * low))


class SeededRandomness:
    """Deterministic ids and secrets for tests."""

    def __init__(self, seed: int = 0) -> None:
        import random

        self._random = random.Random(seed)

    def request_id(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def token(self, nbytes: int) -> str:
        return self._random.randbytes(nbytes).hex()

    def digits(self, count: int) -> str:
        return str(self._random.randrange(10 ** (count - 1), 10**count))
