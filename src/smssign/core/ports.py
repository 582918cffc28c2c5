"""The ports of the core: what it needs from storage and from the image store, as Protocols.

The store (SQLAlchemy) and the blob stores (disk, S3, memory) implement these; the core
never imports them. The runtime is typed with these Protocols, so a test or a new
adapter can stand in for any of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from smssign.core.model import (
    Account,
    Application,
    ApplicationKind,
    Credential,
    Event,
    EventType,
    Qualification,
    Review,
    Signature,
    Status,
    Subject,
)


class Reviewable(Protocol):
    """What every reviewable kind (signature, template) has: an owner, a review status,
    the current application, and a snapshot for applications and events."""

    @property
    def id(self) -> int: ...
    @property
    def account_id(self) -> int: ...
    @property
    def subject(self) -> Subject: ...
    @property
    def name(self) -> str: ...
    @property
    def international(self) -> bool: ...
    @property
    def status(self) -> Status: ...
    @property
    def review_reply(self) -> str: ...
    @property
    def submitted_at(self) -> float: ...
    @property
    def reviewed_at(self) -> float | None: ...
    @property
    def version(self) -> int: ...
    @property
    def application_id(self) -> int: ...

    def snapshot(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Reviewable)


class BlobStore(Protocol):
    """Stores bytes under their sha256 hex digest; storing the same bytes twice is free."""

    async def put(self, data: bytes) -> str:
        """Store `data` durably and return its digest."""
        ...

    async def get(self, digest: str) -> bytes | None: ...


@runtime_checkable
class SweepableBlobs(BlobStore, Protocol):
    """A blob store that can list what it holds and forget a blob (the orphan sweep)."""

    def inventory(self) -> AsyncIterator[tuple[str, float]]:
        """Every stored digest, with when it was written (seconds since the epoch)."""
        ...

    async def remove(self, digest: str, *, written_before: float) -> bool:
        """Forget the blob unless it was stored (again) at or after `written_before`;
        True if it was removed."""
        ...


@dataclass(frozen=True, slots=True)
class NewSignature:
    """The columns of a signature that does not exist yet."""

    account_id: int
    name: str
    international: bool
    sign_type: int | None
    document_type: int | None
    purpose: int
    proof_images: tuple[str, ...]
    commission_image: str | None
    remark: str
    qualification_id: int | None
    extra: dict[str, Any]
    status: Status
    at: float


@dataclass(frozen=True, slots=True)
class NameFilter:
    """`contains` is a substring search; `exact` matches the whole name."""

    text: str
    exact: bool = False


class SignatureReads(Protocol):
    """What the signature checks read: inside a transaction (authoritative), or from a
    snapshot before one (so that a refusal is known before any image is stored)."""

    async def lock_signature(self, sign_id: int, account_id: int | None) -> Signature | None:
        """The live signature, locked against concurrent writers; None if deleted or foreign.

        `account_id` None means any account (operators).
        """
        ...

    async def live_named(
        self, account_id: int, name: str, international: bool, exclude_id: int | None
    ) -> Signature | None: ...

    async def count_signatures(self, account_id: int) -> int: ...

    async def qualification(
        self, account_id: int, qualification_id: int
    ) -> Qualification | None: ...


class ReviewTransaction(Protocol):
    """The writes every reviewable kind shares, inside one transaction."""

    async def lock_subject(self, subject: Subject, account_id: int | None) -> Reviewable | None:
        """The live reviewable, locked; None if deleted, foreign or of an unknown kind."""
        ...

    async def save(self, item: R, expected_version: int) -> R:
        """Write `item` if its stored version is still `expected_version` (else Conflict)."""
        ...

    async def delete(self, item: Reviewable, at: float) -> None: ...

    async def insert_application(
        self,
        subject: Subject,
        account_id: int,
        kind: ApplicationKind,
        dialect: str,
        snapshot: dict[str, Any],
        at: float,
    ) -> Application: ...

    async def insert_review(
        self,
        subject: Subject,
        application_id: int,
        decision: Status,
        reason: str,
        reviewer: str,
        at: float,
    ) -> Review: ...

    async def insert_event(
        self,
        account_id: int,
        type: EventType,
        subject: Subject | None,
        payload: dict[str, Any],
        at: float,
    ) -> Event: ...


class Transaction(SignatureReads, ReviewTransaction, Protocol):
    """Reads and writes inside one database transaction."""

    async def insert_signature(self, new: NewSignature) -> Signature: ...


class Repository(Protocol):
    """Everything the signature use cases need from storage."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    def reading(self) -> AbstractAsyncContextManager[SignatureReads]:
        """A read-only snapshot with the checks' reads (nothing is locked)."""
        ...

    async def authenticate(self, dialect: str, key_id: str) -> tuple[Credential, Account] | None:
        """The active credential with this public key id, and its account."""
        ...

    async def signatures(self, account_id: int, ids: Sequence[int]) -> list[Signature]:
        """The caller's live signatures among `ids`, in the order asked; others are skipped."""
        ...

    async def signature_page(
        self,
        account_id: int,
        *,
        international: bool | None,
        name: NameFilter | None,
        offset: int,
        limit: int | None,
        count: bool = True,
    ) -> tuple[list[Signature], int]:
        """One page of the caller's live signatures by id, and how many match in all
        (-1 when `count` is False: callers that show no total skip counting)."""
        ...

    async def signature(self, sign_id: int) -> Signature | None:
        """Any live signature (operator view)."""
        ...


class ImageReferences(Protocol):
    """Which image digests the stored rows still name (for the orphan sweep)."""

    async def referenced_digests(self) -> set[str]: ...


class RateLimiter(Protocol):
    """Per-account call limits, shared across nodes when a Redis is configured."""

    async def allow(self, dialect_action: str, account_id: int) -> bool:
        """True, and counted, if the account may call the action now."""
        ...

    async def reset(self) -> None:
        """Forget every count (test setups)."""
        ...


class ReplayCache(Protocol):
    async def first_use(self, scope: str, token: tuple[str, ...], expires_at: float) -> bool:
        """Record `token` until `expires_at` (unix seconds); False if it was recorded already.

        `scope` names the dialect so that two dialects' tokens never collide. Raises
        errors.Unavailable when the shared store cannot be reached.
        """
        ...

    async def ping(self) -> None:
        """Raise errors.Unavailable unless the cache answers."""
        ...
