"""Use cases of signatures: add, modify, revise, delete, look up, review.

The service holds the rules that every dialect shares. It talks to storage only through
the ports in core/ports.py, and does each state change in one transaction that writes the
signature, its application and an outbox event together (the review core, core/review.py,
records applications, reviews and events for every reviewable kind).

Every check that can refuse a submission runs before its images are stored: against a
read snapshot first when there are images, then again, authoritatively, inside the
transaction. A refusal therefore leaves no blob behind (see core/images.py for the rare
race that the orphan sweep cleans up).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from smssign.core import errors, images, review, rules
from smssign.core.clock import Clock
from smssign.core.model import (
    SIGNATURE,
    Account,
    Application,
    ApplicationKind,
    Draft,
    Revision,
    Signature,
    Status,
    Subject,
)
from smssign.core.ports import (
    BlobStore,
    NameFilter,
    NewSignature,
    Repository,
    SignatureReads,
    Transaction,
)

__all__ = [
    "Change",
    "NameFilter",
    "NewSignature",
    "Repository",
    "SignatureService",
    "Transaction",
]


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
        self.reviews = review.Reviews(repository, clock)

    # --- caller-facing ------------------------------------------------------------------

    async def add(self, account: Account, draft: Draft, *, dialect: str) -> Change:
        _check_draft(draft)
        if _has_images(draft):
            async with self.repository.reading() as view:
                await _check_add(view, account, draft)
        stored = await images.store(
            self.blobs, draft.proof_images, draft.commission_image, draft.extra_images
        )
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            await _check_add(tx, account, draft)
            signature = await tx.insert_signature(
                NewSignature(
                    account_id=account.id,
                    name=draft.name,
                    international=draft.international,
                    sign_type=draft.sign_type,
                    document_type=draft.document_type,
                    purpose=draft.purpose,
                    proof_images=stored.proof,
                    commission_image=stored.commission,
                    remark=draft.remark,
                    qualification_id=draft.qualification_id,
                    extra={**draft.extra, **stored.extra},
                    status=Status.PENDING,
                    at=now,
                )
            )
            saved, application = await review.record_submission(
                tx, signature, ApplicationKind.ADD, dialect, now, notify=draft.notify
            )
            return Change(saved, application)

    async def modify(self, account: Account, sign_id: int, draft: Draft, *, dialect: str) -> Change:
        """Replace the whole submission (a full modify)."""
        _check_draft(draft)
        if _has_images(draft):
            async with self.repository.reading() as view:
                await _check_modify(view, account, sign_id, draft)
        stored = await images.store(
            self.blobs, draft.proof_images, draft.commission_image, draft.extra_images
        )
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            current = await _check_modify(tx, account, sign_id, draft)
            return await _resubmit(
                tx,
                current,
                draft,
                proof_images=stored.proof,
                commission_image=stored.commission,
                extra={**current.extra, **draft.extra, **stored.extra},
                dialect=dialect,
                now=now,
            )

    async def revise(
        self, account: Account, sign_id: int, revision: Revision, *, dialect: str
    ) -> Change:
        """Change some fields and resubmit (the dialects whose modify is partial).

        The stored signature is read and changed inside the transaction; the images the
        revision does not replace keep their stored digests and are not read back.
        """
        _check_revision(revision)
        if revision.proof_images or revision.extra_images:
            async with self.repository.reading() as view:
                await _check_revise(view, account, sign_id, revision)
        stored = await images.store(
            self.blobs, revision.proof_images or (), None, revision.extra_images
        )
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            current, draft = await _check_revise(tx, account, sign_id, revision)
            extra = {**current.extra, **revision.extra, **stored.extra}
            for key in revision.extra_removed:
                extra.pop(key, None)
            return await _resubmit(
                tx,
                current,
                draft,
                proof_images=(
                    current.proof_images if revision.proof_images is None else stored.proof
                ),
                commission_image=current.commission_image,
                extra=extra,
                dialect=dialect,
                now=now,
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
                await review.record_deletion(tx, signature, now)
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
        saved = await self.reviews.review(
            Subject(SIGNATURE, sign_id), decision, reason=reason, reviewer=reviewer
        )
        assert isinstance(saved, Signature)
        return saved


# --- checks, in the order the providers apply them -------------------------------------


def _has_images(draft: Draft) -> bool:
    return bool(draft.proof_images or draft.commission_image or draft.extra_images)


def _check_draft(draft: Draft) -> None:
    rules.check_types(draft.sign_type, draft.document_type, international=draft.international)
    rules.check_purpose(draft.purpose)
    _check_text(draft.name, draft.remark, draft.extra)


def _check_text(name: str | None, remark: str | None, extra: Mapping[str, Any]) -> None:
    if name is not None and len(name) > rules.LONGEST_NAME:
        raise errors.NameTooLong(f"at most {rules.LONGEST_NAME} characters")
    if remark is not None:
        rules.check_length("remark", remark, rules.LONGEST_REMARK)
    rules.check_extra(extra)


def _check_revision(revision: Revision) -> None:
    """The revision's own values; what it keeps was checked when it was submitted."""
    _check_text(revision.name, revision.remark, revision.extra)
    if revision.purpose is not None:
        rules.check_purpose(revision.purpose)


async def _check_add(reads: SignatureReads, account: Account, draft: Draft) -> None:
    await _check_qualification(reads, account, draft)
    await _check_name_free(reads, account.id, draft, None)
    if await reads.count_signatures(account.id) >= account.signature_quota:
        raise errors.QuotaExceeded()


async def _check_modify(
    reads: SignatureReads, account: Account, sign_id: int, draft: Draft
) -> Signature:
    current = await reads.lock_signature(sign_id, account.id)
    if current is None:
        raise errors.NotFound()
    if current.international != draft.international:
        raise errors.InvalidScope("a signature cannot change scope")
    rules.check_modifiable(current.status)
    await _check_qualification(reads, account, draft)
    await _check_name_free(reads, account.id, draft, sign_id)
    return current


async def _check_revise(
    reads: SignatureReads, account: Account, sign_id: int, revision: Revision
) -> tuple[Signature, Draft]:
    current = await reads.lock_signature(sign_id, account.id)
    if current is None:
        raise errors.NotFound()
    rules.check_modifiable(current.status)
    draft = Draft(
        name=current.name if revision.name is None else revision.name,
        international=current.international,
        sign_type=current.sign_type,
        document_type=current.document_type,
        purpose=current.purpose if revision.purpose is None else revision.purpose,
        remark=current.remark if revision.remark is None else revision.remark,
        qualification_id=current.qualification_id,
        notify=revision.notify,
    )
    # The stored values follow today's rules too: a retired type is not resubmitted.
    rules.check_types(draft.sign_type, draft.document_type, international=draft.international)
    rules.check_purpose(draft.purpose)
    await _check_qualification(reads, account, draft)
    await _check_name_free(reads, account.id, draft, sign_id)
    return current, draft


async def _check_qualification(reads: SignatureReads, account: Account, draft: Draft) -> None:
    if not draft.qualification_id:
        return
    qualification = await reads.qualification(account.id, draft.qualification_id)
    if qualification is None:
        raise errors.QualificationNotFound()
    if qualification.status.value != "approved":
        raise errors.QualificationNotApproved()


async def _check_name_free(
    reads: SignatureReads, account_id: int, draft: Draft, exclude: int | None
) -> None:
    holder = await reads.live_named(account_id, draft.name, draft.international, exclude)
    if holder is None:
        return
    if holder.status is Status.PENDING:
        raise errors.DuplicatePending(holder.id)
    raise errors.DuplicateApproved(holder.id)


async def _resubmit(
    tx: Transaction,
    current: Signature,
    draft: Draft,
    *,
    proof_images: tuple[str, ...],
    commission_image: str | None,
    extra: dict[str, Any],
    dialect: str,
    now: float,
) -> Change:
    changed = replace(
        current,
        name=draft.name,
        sign_type=draft.sign_type,
        document_type=draft.document_type,
        purpose=draft.purpose,
        proof_images=proof_images,
        commission_image=commission_image,
        remark=draft.remark,
        qualification_id=draft.qualification_id,
        # A dialect submits only its own provider-specific fields; the others' survive,
        # so a modify through one dialect keeps another's industry field.
        extra=extra,
        status=Status.PENDING,
        review_reply="",
        submitted_at=now,
        reviewed_at=None,
        updated_at=now,
    )
    saved, application = await review.record_submission(
        tx,
        changed,
        ApplicationKind.MODIFY,
        dialect,
        now,
        notify=draft.notify,
        expected_version=current.version,
    )
    return Change(saved, application)
