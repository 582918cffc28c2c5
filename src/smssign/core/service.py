"""Use cases of the signature domain: add, modify, delete, look up, review.

The service holds the rules that every dialect shares. It talks to storage only through
the `Repository` protocol below, and does each state change in one transaction that
writes the signature, its application and an outbox event together.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Any, Protocol

from smssign.blobs import BlobStore
from smssign.core import bounds, errors, rules
from smssign.core.clock import Clock
from smssign.core.model import (
    Account,
    Application,
    ApplicationKind,
    Credential,
    Draft,
    Event,
    EventType,
    Qualification,
    Review,
    Signature,
    Status,
)


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


class Transaction(Protocol):
    """Reads and writes inside one database transaction."""

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

    async def insert_signature(self, new: NewSignature) -> Signature: ...

    async def save_signature(self, signature: Signature, expected_version: int) -> Signature:
        """Write `signature` if its stored version is still `expected_version` (else Conflict)."""
        ...

    async def delete_signature(self, signature: Signature, at: float) -> None: ...

    async def insert_application(
        self,
        signature: Signature,
        kind: ApplicationKind,
        dialect: str,
        snapshot: dict[str, Any],
        at: float,
    ) -> Application: ...

    async def insert_review(
        self, signature: Signature, decision: Status, reason: str, reviewer: str, at: float
    ) -> Review: ...

    async def insert_event(
        self,
        account_id: int,
        type: EventType,
        signature_id: int | None,
        payload: dict[str, Any],
        at: float,
    ) -> Event: ...


class Repository(Protocol):
    """Everything the core needs from storage."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

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


@dataclass(frozen=True, slots=True)
class Change:
    """What a successful add or modify produced."""

    signature: Signature
    application: Application


class SignatureService:
    def __init__(self, repository: Repository, blobs: BlobStore, clock: Clock) -> None:
        self.repository = repository
        self.blobs = blobs
        self.clock = clock

    # --- caller-facing ------------------------------------------------------------------

    async def add(self, account: Account, draft: Draft, *, dialect: str) -> Change:
        self._check_draft(draft)
        images, commission = await self._store_images(draft)
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            await self._check_qualification(tx, account, draft)
            await self._check_name_free(tx, account.id, draft.name, draft.international, None)
            if await tx.count_signatures(account.id) >= account.signature_quota:
                raise errors.QuotaExceeded()
            signature = await tx.insert_signature(
                NewSignature(
                    account_id=account.id,
                    name=draft.name,
                    international=draft.international,
                    sign_type=draft.sign_type,
                    document_type=draft.document_type,
                    purpose=draft.purpose,
                    proof_images=images,
                    commission_image=commission,
                    remark=draft.remark,
                    qualification_id=draft.qualification_id,
                    extra=dict(draft.extra),
                    status=Status.PENDING,
                    at=now,
                )
            )
            return await self._record_submission(
                tx, signature, ApplicationKind.ADD, dialect, draft, now
            )

    async def modify(self, account: Account, sign_id: int, draft: Draft, *, dialect: str) -> Change:
        self._check_draft(draft)
        images, commission = await self._store_images(draft)
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            current = await tx.lock_signature(sign_id, account.id)
            if current is None:
                raise errors.NotFound()
            if current.international != draft.international:
                raise errors.InvalidScope("a signature cannot change scope")
            rules.check_modifiable(current.status)
            await self._check_qualification(tx, account, draft)
            await self._check_name_free(tx, account.id, draft.name, draft.international, sign_id)
            changed = replace(
                current,
                name=draft.name,
                sign_type=draft.sign_type,
                document_type=draft.document_type,
                purpose=draft.purpose,
                proof_images=images,
                commission_image=commission,
                remark=draft.remark,
                qualification_id=draft.qualification_id,
                # A dialect submits only its own provider-specific fields; the others'
                # survive, so a modify through one dialect keeps another's industry field.
                extra={**current.extra, **draft.extra},
                status=Status.PENDING,
                review_reply="",
                submitted_at=now,
                reviewed_at=None,
                updated_at=now,
            )
            return await self._record_submission(
                tx,
                changed,
                ApplicationKind.MODIFY,
                dialect,
                draft,
                now,
                expected_version=current.version,
            )

    async def delete(self, account: Account, sign_ids: Sequence[int]) -> float:
        """Delete all of `sign_ids` or, if any is unknown, none of them."""
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            found: list[Signature] = []
            for sign_id in dict.fromkeys(sign_ids):
                signature = await tx.lock_signature(sign_id, account.id)
                if signature is None:
                    raise errors.NotFound()
                found.append(signature)
            for signature in found:
                await tx.delete_signature(signature, now)
                await tx.insert_event(
                    account.id,
                    EventType.DELETED,
                    signature.id,
                    {"signature": signature.snapshot()},
                    now,
                )
        return now

    async def describe(self, account: Account, sign_ids: Sequence[int]) -> list[Signature]:
        return await self.repository.signatures(account.id, sign_ids)

    async def page(
        self,
        account: Account,
        *,
        international: bool | None = None,
        name: NameFilter | None = None,
        offset: int = 0,
        limit: int | None = None,
        count: bool = True,
    ) -> tuple[list[Signature], int]:
        """A page and the number of matches in all (-1 without `count`)."""
        return await self.repository.signature_page(
            account.id,
            international=international,
            name=name,
            offset=offset,
            limit=limit,
            count=count,
        )

    # --- operator-facing ----------------------------------------------------------------

    async def review(
        self, sign_id: int, decision: Status, *, reason: str = "", reviewer: str = "operator"
    ) -> Signature:
        """Approve, start filing or reject the signature's current application."""
        reason = bounds.reason(reason, required=decision is Status.REJECTED)
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            current = await tx.lock_signature(sign_id, None)
            if current is None:
                raise errors.NotFound()
            rules.check_transition(current.status, decision)
            reply = reason if decision is Status.REJECTED else (reason or current.review_reply)
            changed = replace(
                current, status=decision, review_reply=reply, reviewed_at=now, updated_at=now
            )
            saved = await tx.save_signature(changed, current.version)
            await tx.insert_review(saved, decision, reason, reviewer, now)
            await tx.insert_event(
                saved.account_id,
                _REVIEW_EVENTS[decision],
                saved.id,
                {"signature": saved.snapshot(), "reason": reason, "reviewer": reviewer},
                now,
            )
            return saved

    # --- internals ----------------------------------------------------------------------

    @staticmethod
    def _check_draft(draft: Draft) -> None:
        rules.check_types(draft.sign_type, draft.document_type, international=draft.international)
        rules.check_purpose(draft.purpose)

    async def _store_images(self, draft: Draft) -> tuple[tuple[str, ...], str | None]:
        digests = tuple([await self.blobs.put(image.data) for image in draft.proof_images])
        commission = (
            await self.blobs.put(draft.commission_image.data) if draft.commission_image else None
        )
        return digests, commission

    @staticmethod
    async def _check_qualification(tx: Transaction, account: Account, draft: Draft) -> None:
        if not draft.qualification_id:
            return
        qualification = await tx.qualification(account.id, draft.qualification_id)
        if qualification is None:
            raise errors.QualificationNotFound()
        if qualification.status.value != "approved":
            raise errors.QualificationNotApproved()

    @staticmethod
    async def _check_name_free(
        tx: Transaction, account_id: int, name: str, international: bool, exclude: int | None
    ) -> None:
        holder = await tx.live_named(account_id, name, international, exclude)
        if holder is None:
            return
        if holder.status is Status.PENDING:
            raise errors.DuplicatePending(holder.id)
        raise errors.DuplicateApproved(holder.id)

    @staticmethod
    async def _record_submission(
        tx: Transaction,
        signature: Signature,
        kind: ApplicationKind,
        dialect: str,
        draft: Draft,
        now: float,
        *,
        expected_version: int | None = None,
    ) -> Change:
        snapshot = signature.snapshot()
        snapshot.pop("application_id")
        snapshot.pop("version")
        application = await tx.insert_application(signature, kind, dialect, snapshot, now)
        signature = replace(signature, application_id=application.id)
        version = signature.version if expected_version is None else expected_version
        saved = await tx.save_signature(signature, version)
        event_type = EventType.SUBMITTED if kind is ApplicationKind.ADD else EventType.MODIFIED
        payload = {"signature": saved.snapshot(), "application_id": application.id}
        await tx.insert_event(saved.account_id, event_type, saved.id, payload, now)
        if draft.notify:
            await tx.insert_event(
                saved.account_id, EventType.NOTIFICATION_REQUESTED, saved.id, payload, now
            )
        return Change(saved, application)


_REVIEW_EVENTS = {
    Status.APPROVED: EventType.APPROVED,
    Status.FILING: EventType.FILING,
    Status.REJECTED: EventType.REJECTED,
}
