"""Operators as the store keeps them: people who review, their sessions, tokens and login
gates, and the `OperatorStore` port. The rules (passwords, locks, tokens) are the back
office's (smssign.backoffice.operators); these are the values it and the store share.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


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
class Token:
    """An admin API token as `smssign operators tokens` lists it (never the secret)."""

    id: int
    operator: str
    label: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def state(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    """Failed logins within `window` seconds that lock the name."""
    window: float = 15 * 60.0
    max_failures_per_address: int = 20
    """Failed logins within `window` from one client address, whatever the names."""


class Gate(Enum):
    """What the failure count says about a login attempt before its password is checked."""

    OPEN = "open"
    NAME_LOCKED = "name_locked"
    ADDRESS_LOCKED = "address_locked"


class OperatorStore(Protocol):
    async def insert_operator(self, name: str, password_hash: str, at: float) -> Operator:
        """Raises Conflict when the name is taken."""
        ...

    async def operator_named(self, name: str) -> tuple[Operator, str] | None:
        """The operator and its password hash."""
        ...

    async def operators(self) -> list[Operator]: ...

    async def set_password(
        self, operator_id: int, password_hash: str, *, end_sessions_at: float | None
    ) -> None:
        """With `end_sessions_at`, the operator's open sessions end in the same transaction."""
        ...

    async def disable_operator(self, operator_id: int, at: float) -> None:
        """Disabled, its sessions ended and its tokens revoked, in one transaction."""
        ...

    async def enable_operator(self, operator_id: int) -> None: ...

    async def count_login_failures(self, name: str, since: float) -> int: ...

    async def open_login_attempt(
        self, name: str, address: str | None, at: float, since: float, policy: LockoutPolicy
    ) -> Gate:
        """Atomically: the gate, and when it is open a failure recorded for this attempt."""
        ...

    async def clear_login_failures(self, name: str) -> None: ...

    async def insert_session(
        self, operator_id: int, token_hash: str, at: float, expires_at: float
    ) -> int: ...

    async def session(self, token_hash: str, now: float) -> OperatorSession | None:
        """The unexpired, unrevoked session of an enabled operator."""
        ...

    async def revoke_session(self, token_hash: str, at: float) -> None: ...

    async def insert_token(
        self,
        operator_id: int,
        token_hash: str,
        label: str,
        at: float,
        expires_at: float | None,
    ) -> int: ...

    async def token_operator(self, token_hash: str, now: float) -> Operator | None:
        """The enabled operator holding this unrevoked, unexpired token."""
        ...

    async def tokens(self, operator_id: int) -> list[Token]: ...

    async def revoke_token(self, token_id: int, at: float) -> Token | None:
        """The token after revoking it (unchanged if it was revoked already)."""
        ...
