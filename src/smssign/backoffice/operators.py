"""Operators: the people who review signatures, their console sessions and API tokens.

The rules live here; storage is behind `OperatorStore`. Passwords are argon2id hashes.
A name is locked for a while after repeated failed logins, and the lock applies to
unknown names too, so the login form tells nobody which operators exist. Session and
API tokens are random and only their sha256 is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from smssign.core import errors
from smssign.core.clock import Clock, Randomness

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED_NAMES = frozenset({"auto-review", "cli", "operator", "system"})
"""Reviewer names the system itself records; a person may not take them."""
SHORTEST_PASSWORD = 8
LONGEST_PASSWORD = 1024
TOKEN_PREFIX = "smssign_"


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    name: str
    created_at: float
    disabled_at: float | None = None


@dataclass(frozen=True, slots=True)
class OperatorSession:
    """A logged-in console visitor."""

    id: int
    operator: Operator
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    """Failed logins within `window` seconds that lock the name."""
    window: float = 15 * 60.0


class LoginRefused(errors.SmssignError):
    """Wrong name or password, or the name is locked; the message never says which name exists."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__(
            "too many failed logins; try again later" if locked else "wrong name or password"
        )
        self.locked = locked


class OperatorStore(Protocol):
    async def insert_operator(self, name: str, password_hash: str, at: float) -> Operator:
        """Raises Conflict when the name is taken."""
        ...

    async def operator_named(self, name: str) -> tuple[Operator, str] | None:
        """The operator and its password hash."""
        ...

    async def operators(self) -> list[Operator]: ...

    async def set_password(self, operator_id: int, password_hash: str) -> None: ...

    async def count_login_failures(self, name: str, since: float) -> int: ...

    async def record_login_failure(self, name: str, address: str | None, at: float) -> None: ...

    async def clear_login_failures(self, name: str) -> None: ...

    async def insert_session(
        self, operator_id: int, token_hash: str, at: float, expires_at: float
    ) -> int: ...

    async def session(self, token_hash: str, now: float) -> OperatorSession | None:
        """The unexpired, unrevoked session of an enabled operator."""
        ...

    async def revoke_session(self, token_hash: str, at: float) -> None: ...

    async def insert_token(
        self, operator_id: int, token_hash: str, label: str, at: float
    ) -> None: ...

    async def token_operator(self, token_hash: str) -> Operator | None:
        """The enabled operator holding this unrevoked token."""
        ...


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise errors.InvalidSubmission(
            "name", "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if name.lower() in RESERVED_NAMES:
        raise errors.InvalidSubmission("name", f"{name!r} is reserved for the system")
    return name


def check_password(password: str) -> str:
    if len(password) < SHORTEST_PASSWORD:
        raise errors.InvalidSubmission("password", f"at least {SHORTEST_PASSWORD} characters")
    if len(password) > LONGEST_PASSWORD:
        raise errors.InvalidSubmission("password", f"at most {LONGEST_PASSWORD} characters")
    return password


class OperatorService:
    def __init__(
        self,
        store: OperatorStore,
        clock: Clock,
        randomness: Randomness,
        *,
        lockout: LockoutPolicy | None = None,
        session_lifetime: float = 12 * 3600.0,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.randomness = randomness
        self.lockout = lockout or LockoutPolicy()
        self.session_lifetime = session_lifetime
        self.hasher = hasher or PasswordHasher()
        self._decoy: str | None = None

    async def create(self, name: str, password: str) -> Operator:
        check_name(name)
        hashed = await asyncio.to_thread(self.hasher.hash, check_password(password))
        return await self.store.insert_operator(name, hashed, self.clock.now())

    async def set_password(self, name: str, password: str) -> Operator:
        found = await self.store.operator_named(name)
        if found is None:
            raise errors.NotFound(f"no operator {name!r}")
        hashed = await asyncio.to_thread(self.hasher.hash, check_password(password))
        await self.store.set_password(found[0].id, hashed)
        return found[0]

    async def operators(self) -> list[Operator]:
        return await self.store.operators()

    async def unlock(self, name: str) -> None:
        await self.store.clear_login_failures(name)

    async def login(
        self, name: str, password: str, address: str | None
    ) -> tuple[OperatorSession, str]:
        """A new session and its token, or LoginRefused."""
        now = self.clock.now()
        # Truncated so a megabyte of name cannot bloat the failure log.
        name = name[:200]
        since = now - self.lockout.window
        if await self.store.count_login_failures(name, since) >= self.lockout.max_failures:
            raise LoginRefused(locked=True)
        found = await self.store.operator_named(name)
        if found is None or found[0].disabled_at is not None:
            # Spend the same time as a real check, so timing does not reveal the name.
            await self._verify(await self._decoy_hash(), password)
            ok = False
        else:
            ok = await self._verify(found[1], password)
        if not ok or found is None:
            await self.store.record_login_failure(name, address, now)
            locked = await self.store.count_login_failures(name, since) >= self.lockout.max_failures
            raise LoginRefused(locked=locked)
        operator, hashed = found
        await self.store.clear_login_failures(name)
        if self.hasher.check_needs_rehash(hashed):
            await self.store.set_password(
                operator.id, await asyncio.to_thread(self.hasher.hash, password)
            )
        token = self.randomness.token(32)
        expires = now + self.session_lifetime
        session_id = await self.store.insert_session(operator.id, token_hash(token), now, expires)
        return OperatorSession(session_id, operator, now, expires), token

    async def session(self, token: str) -> OperatorSession | None:
        return await self.store.session(token_hash(token), self.clock.now())

    async def logout(self, token: str) -> None:
        await self.store.revoke_session(token_hash(token), self.clock.now())

    async def issue_token(self, name: str, label: str = "") -> str:
        """A new bearer token for the admin API; only its hash is kept."""
        found = await self.store.operator_named(name)
        if found is None:
            raise errors.NotFound(f"no operator {name!r}")
        token = TOKEN_PREFIX + self.randomness.token(32)
        await self.store.insert_token(found[0].id, token_hash(token), label[:200], self.clock.now())
        return token

    async def authenticate_token(self, token: str) -> Operator | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        return await self.store.token_operator(token_hash(token))

    async def _verify(self, hashed: str, password: str) -> bool:
        if len(password) > LONGEST_PASSWORD:
            return False

        def verify() -> bool:
            try:
                return self.hasher.verify(hashed, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(verify)

    async def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = await asyncio.to_thread(self.hasher.hash, self.randomness.token(16))
        return self._decoy
