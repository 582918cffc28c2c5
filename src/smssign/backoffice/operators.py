"""Operators: the people who review signatures, their console sessions and API tokens.

The rules live here; storage is behind `OperatorStore` (smssign.core.operators).
Passwords are argon2id hashes, computed on their own bounded executor
(`smssign.backoffice.passwords`). A name is locked for a while after repeated failed
logins, and the lock applies to unknown names too, so the login form tells nobody
which operators exist; a client address that fails too often is held back the same
way. Each attempt takes its place in the failure count *before* its password is
checked, in one transaction, so a burst of concurrent guesses gets no more checks than
the policy allows. Session and API tokens are random and only their sha256 is stored.
A password change ends the operator's sessions; disabling an operator ends its sessions
and revokes its tokens; tokens may expire and may be revoked one by one.
"""

from __future__ import annotations

import hashlib
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from smssign.backoffice.passwords import HashingBusy, PasswordHashing
from smssign.core import errors
from smssign.core.clock import Clock, Randomness
from smssign.core.operators import (
    Gate,
    LockoutPolicy,
    Operator,
    OperatorSession,
    OperatorStore,
    Token,
)

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED_NAMES = frozenset({"auto-review", "cli", "operator", "system"})
"""Reviewer names the system itself records; a person may not take them."""
SHORTEST_PASSWORD = 8
LONGEST_PASSWORD = 1024
TOKEN_PREFIX = "smssign_"
LONGEST_TOKEN_LIFE_DAYS = 3650


_REFUSALS = {
    Gate.NAME_LOCKED: "too many failed logins; try again later",
    Gate.ADDRESS_LOCKED: "too many failed logins from your address; try again later",
}


class LoginRefused(errors.SmssignError):
    """Wrong name or password, or a lock; the message never says which name exists."""

    def __init__(self, *, locked: bool, message: str | None = None) -> None:
        super().__init__(
            message
            or ("too many failed logins; try again later" if locked else "wrong name or password")
        )
        self.locked = locked


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
        hashing: PasswordHashing | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.randomness = randomness
        self.lockout = lockout or LockoutPolicy()
        self.session_lifetime = session_lifetime
        self.hasher = hasher or PasswordHasher()
        self.hashing = hashing or PasswordHashing()
        self._decoy: str | None = None

    def close(self) -> None:
        self.hashing.close()

    async def create(self, name: str, password: str) -> Operator:
        check_name(name)
        hashed = await self._hash(check_password(password))
        return await self.store.insert_operator(name, hashed, self.clock.now())

    async def set_password(self, name: str, password: str) -> Operator:
        """A new password; the operator's console sessions end with the old one."""
        operator = await self._named(name)
        hashed = await self._hash(check_password(password))
        await self.store.set_password(operator.id, hashed, end_sessions_at=self.clock.now())
        return operator

    async def disable(self, name: str) -> Operator:
        """No more logins; its sessions end and its tokens are revoked at once."""
        operator = await self._named(name)
        await self.store.disable_operator(operator.id, self.clock.now())
        return operator

    async def enable(self, name: str) -> Operator:
        """Logins work again; sessions and tokens ended by `disable` stay ended."""
        operator = await self._named(name)
        await self.store.enable_operator(operator.id)
        return operator

    async def operators(self) -> list[Operator]:
        return await self.store.operators()

    async def unlock(self, name: str) -> None:
        await self.store.clear_login_failures(name)

    async def login(
        self, name: str, password: str, address: str | None
    ) -> tuple[OperatorSession, str]:
        """A new session and its token, or LoginRefused."""
        # Truncated so a megabyte of name cannot bloat the failure log.
        name = name[:200]
        try:
            async with self.hashing.admit():
                return await self._login(name, password, address)
        except HashingBusy:
            raise LoginRefused(
                locked=True, message="too many logins at once; try again in a moment"
            ) from None

    async def _login(
        self, name: str, password: str, address: str | None
    ) -> tuple[OperatorSession, str]:
        now = self.clock.now()
        since = now - self.lockout.window
        gate = await self.store.open_login_attempt(name, address, now, since, self.lockout)
        if gate is not Gate.OPEN:
            raise LoginRefused(locked=True, message=_REFUSALS[gate])
        # From here this attempt already counts as a failure; only success takes it back.
        found = await self.store.operator_named(name)
        if found is None or found[0].disabled_at is not None:
            # Spend the same time as a real check, so timing does not reveal the name.
            await self._verify(await self._decoy_hash(), password)
            ok = False
        else:
            ok = await self._verify(found[1], password)
        if not ok or found is None:
            locked = await self.store.count_login_failures(name, since) >= self.lockout.max_failures
            raise LoginRefused(locked=locked)
        operator, hashed = found
        await self.store.clear_login_failures(name)
        if self.hasher.check_needs_rehash(hashed):
            await self.store.set_password(
                operator.id, await self._hash(password), end_sessions_at=None
            )
        token = self.randomness.token(32)
        expires = now + self.session_lifetime
        session_id = await self.store.insert_session(operator.id, token_hash(token), now, expires)
        return OperatorSession(session_id, operator, now, expires), token

    async def session(self, token: str) -> OperatorSession | None:
        return await self.store.session(token_hash(token), self.clock.now())

    async def logout(self, token: str) -> None:
        await self.store.revoke_session(token_hash(token), self.clock.now())

    async def issue_token(
        self, name: str, label: str = "", *, expires_in_days: float | None = None
    ) -> str:
        """A new bearer token for the admin API; only its hash is kept."""
        operator = await self._named(name)
        if expires_in_days is not None and not 0 < expires_in_days <= LONGEST_TOKEN_LIFE_DAYS:
            raise errors.InvalidSubmission(
                "expires_in", f"between 0 and {LONGEST_TOKEN_LIFE_DAYS} days"
            )
        now = self.clock.now()
        expires = None if expires_in_days is None else now + expires_in_days * 86400.0
        token = TOKEN_PREFIX + self.randomness.token(32)
        await self.store.insert_token(operator.id, token_hash(token), label[:200], now, expires)
        return token

    async def tokens(self, name: str) -> list[Token]:
        return await self.store.tokens((await self._named(name)).id)

    async def revoke_token(self, token_id: int) -> Token:
        revoked = await self.store.revoke_token(token_id, self.clock.now())
        if revoked is None:
            raise errors.NotFound(f"no token {token_id}")
        return revoked

    async def authenticate_token(self, token: str) -> Operator | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        return await self.store.token_operator(token_hash(token), self.clock.now())

    async def _named(self, name: str) -> Operator:
        found = await self.store.operator_named(name)
        if found is None:
            raise errors.NotFound(f"no operator {name!r}")
        return found[0]

    async def _hash(self, password: str) -> str:
        return await self.hashing.run(lambda: self.hasher.hash(password))

    async def _verify(self, hashed: str, password: str) -> bool:
        if len(password) > LONGEST_PASSWORD:
            return False

        def verify() -> bool:
            try:
                return self.hasher.verify(hashed, password)
            except (VerificationError, InvalidHashError):
                return False

        return await self.hashing.run(verify)

    async def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = await self._hash(self.randomness.token(16))
        return self._decoy


__all__ = [
    "Gate",
    "LockoutPolicy",
    "LoginRefused",
    "Operator",
    "OperatorService",
    "OperatorSession",
    "OperatorStore",
    "Token",
]
