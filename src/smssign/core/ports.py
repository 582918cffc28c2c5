"""The ports of the core: what it needs from storage and from the image store, as Protocols.

The store (SQLAlchemy) and the blob stores (disk, S3, memory) implement these; the core
never imports them. The runtime is typed with these Protocols, so a test or a new
adapter can stand in for any of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from smssign.core.messages import Message, MessageStatus, OutcomeRule, Params, Reply, Sent
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
    Template,
    TemplateType,
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


# --- messages (core/messages.py, core/sending.py) --------------------------------------


@dataclass(frozen=True, slots=True)
class SendingSettings:
    """An account's sending state: its balance in parts, and its frequency-limit changes
    (limit name -> count, 0 = off; names are the providers' FrequencyLimit names)."""

    balance: int
    frequency: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class NewMessage:
    """The columns of a message being accepted."""

    account_id: int
    dialect: str
    mobile: str
    sign: str
    signature_id: int | None
    template_id: int | None
    template_type: TemplateType | None
    params: Params
    text: str
    parts: int
    fee: int
    provider_message_id: str
    session: str
    extend: str
    created_at: float
    due_at: float | None
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one pruning batch removed (message retention)."""

    messages: int
    replies: int
    events: int

    @property
    def total(self) -> int:
        return self.messages + self.replies + self.events


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """The inbox's filters; None matches everything."""

    mobile: str | None = None
    account_id: int | None = None
    dialect: str | None = None
    status: MessageStatus | None = None


NewEvent = tuple[int, EventType, Subject, dict[str, Any]]
"""An event to insert: account id, type, subject, payload."""
Decision = tuple[Message, MessageStatus, str | None]
"""A decision of simulated delivery: the message, its new status, the receipt code."""


class MessageTransaction(Protocol):
    """The writes of sending, delivery and replies, inside one transaction."""

    async def lock_sending(self, account_id: int) -> SendingSettings:
        """The account's sending state, locked against concurrent sends of the account."""
        ...

    async def set_balance(self, account_id: int, balance: int) -> None: ...

    async def approved_signature(
        self, account_id: int, name: str, international: bool
    ) -> Signature | None:
        """The account's live signature of that name and scope (any status)."""
        ...

    async def template(self, account_id: int, template_id: int) -> Template | None:
        """The account's live template (any status); None if unknown or foreign."""
        ...

    async def templates_of(self, account_id: int) -> list[Template]:
        """The account's live templates, any status, by id (free-text matching)."""
        ...

    async def sent_since(self, account_id: int, mobile: str, since: float) -> list[Sent]:
        """The account's messages to `mobile` accepted after `since`."""
        ...

    async def count_sent_since(self, account_id: int, since: float, most: int) -> int:
        """How many messages of the account, to any number, were accepted at or after
        `since`; counts at most `most` (a quota only needs to know whether it is full)."""
        ...

    async def insert_messages(self, new: Sequence[NewMessage]) -> list[Message]:
        """Insert in order and return them with their ids."""
        ...

    async def lock_message(self, message_id: int) -> Message | None: ...

    async def due_messages(self, now: float, limit: int) -> list[Message]:
        """Pending messages whose `due_at` has come, oldest first, locked (skipping rows
        another node holds)."""
        ...

    async def report(
        self, message_id: int, status: MessageStatus, error_code: str | None, at: float
    ) -> Message:
        """Set the outcome (`reported_at` = `at`); a pending status keeps it undecided."""
        ...

    async def reports(self, outcomes: Sequence[Decision], at: float) -> list[Message]:
        """`report` for many messages at once (simulated delivery's batches); returns them
        as they are now."""
        ...

    async def outcome_rules(self) -> list[OutcomeRule]: ...

    async def insert_reply(
        self,
        account_id: int,
        dialect: str,
        mobile: str,
        text: str,
        sign: str,
        extend: str,
        message_id: int | None,
        at: float,
    ) -> Reply: ...

    async def latest_to(self, account_id: int | None, mobile: str) -> Message | None:
        """The newest message to `mobile` (of one account, or of any)."""
        ...

    async def pull_reports(
        self, account_id: int, dialects: Sequence[str], limit: int, at: float
    ) -> list[Message]:
        """Reported messages not pulled yet, oldest report first, marked pulled (a queue)."""
        ...

    async def pull_replies(
        self, account_id: int, dialects: Sequence[str], limit: int, at: float
    ) -> list[Reply]:
        """Replies not pulled yet, oldest first, marked pulled."""
        ...

    async def insert_event(
        self,
        account_id: int,
        type: EventType,
        subject: Subject | None,
        payload: dict[str, Any],
        at: float,
    ) -> Event: ...

    async def insert_events(self, events: Sequence[NewEvent], at: float) -> None:
        """Insert the events, in order, in one statement."""
        ...


class MessageRepository(Protocol):
    """Everything the sending use cases need from storage."""

    def message_transaction(self) -> AbstractAsyncContextManager[MessageTransaction]: ...

    async def message(self, message_id: int) -> Message | None: ...

    async def message_page(
        self, where: MessageFilter, *, limit: int, offset: int = 0
    ) -> tuple[list[Message], int]:
        """Newest first, and how many match, counted up to a bound of the store's
        (10 000 for SQL: counting is a scan of every match)."""
        ...

    async def latest_message(self, mobile: str) -> Message | None: ...

    async def has_reports(self, account_id: int, dialects: Sequence[str]) -> bool:
        """Whether the account's report queue for these dialects holds anything."""
        ...

    async def messages_by_provider_id(
        self, account_id: int, provider_message_id: str
    ) -> list[Message]: ...

    async def reports_for(
        self,
        account_id: int,
        dialects: Sequence[str],
        mobile: str,
        since: float,
        until: float | None,
        limit: int,
    ) -> list[Message]:
        """Reported messages to `mobile` sent in [since, until], oldest first (no queue)."""
        ...

    async def replies_for(
        self,
        account_id: int,
        dialects: Sequence[str],
        mobile: str,
        since: float,
        until: float | None,
        limit: int,
    ) -> list[Reply]: ...

    async def replies(self, account_id: int | None = None, limit: int = 100) -> list[Reply]:
        """Newest first."""
        ...

    async def delete_messages(self, account_id: int | None, mobile: str | None) -> int:
        """Delete the matching messages and replies; how many messages went."""
        ...

    async def sending_settings(self, account_id: int) -> SendingSettings | None:
        """None if there is no such account."""
        ...

    async def change_sending(
        self, account_id: int, *, balance: int | None, frequency: Mapping[str, int] | None
    ) -> SendingSettings:
        """Set the balance and/or merge frequency changes; errors.AccountNotFound."""
        ...

    async def list_outcome_rules(self) -> list[OutcomeRule]: ...

    async def add_outcome_rule(
        self,
        pattern: str,
        status: MessageStatus,
        error_code: str | None,
        account_id: int | None,
        description: str,
    ) -> OutcomeRule: ...

    async def remove_outcome_rule(self, rule_id: int) -> bool: ...

    async def next_due(self) -> float | None:
        """The earliest `due_at` of a pending message, None if there is none."""
        ...

    async def prune_messages(self, before: float, batch: int) -> Pruned:
        """Remove, in one short transaction, up to `batch` each of the messages, replies
        and their events (with those events' finished deliveries) created before `before`."""
        ...
