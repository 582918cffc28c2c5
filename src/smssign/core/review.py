"""The review core: submission -> review -> event, for any reviewable kind.

A kind (the signature; the template next) declares itself with a `ReviewKind`: its name,
the decisions a reviewer may take, and its events. What follows is written once for all
kinds and works on `Subject(kind, id)`:

- a submission (add or modify) records an application holding a snapshot of what was
  submitted, points the reviewable at it, and writes a submitted or modified event;
- a review (approve, filing, reject with a reason) changes the status, records who
  decided what about which application, and writes the decision's event;
- a deletion writes a deleted event.

Each happens inside the caller's transaction, with the change it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from smssign.core import bounds, errors, rules
from smssign.core.clock import Clock
from smssign.core.model import (
    SIGNATURE,
    TEMPLATE,
    Application,
    ApplicationKind,
    EventType,
    Status,
    Subject,
    Verb,
)
from smssign.core.ports import R, Reviewable, ReviewTransaction


@dataclass(frozen=True, slots=True)
class ReviewKind:
    """What a reviewable kind declares to use the review core."""

    name: str
    """`signature`: the kind part of every Subject, and the key of its snapshot in events."""
    decisions: frozenset[Status]
    """What a reviewer may decide; `filing` (carrier filing) exists for signatures only."""
    events: Mapping[Verb, EventType]
    notification: EventType | None = None
    """Written beside a submission whose caller asked to hear the result (a `notify` flag)."""
    fields: tuple[tuple[str, str], ...] = field(default=())
    """The snapshot fields a reviewer compares between applications, with their labels."""

    def event(self, verb: Verb) -> EventType:
        return self.events[verb]


SIGNATURE_KIND = ReviewKind(
    name=SIGNATURE,
    decisions=frozenset({Status.APPROVED, Status.FILING, Status.REJECTED}),
    events={
        Verb.SUBMITTED: EventType.SUBMITTED,
        Verb.MODIFIED: EventType.MODIFIED,
        Verb.APPROVED: EventType.APPROVED,
        Verb.FILING: EventType.FILING,
        Verb.REJECTED: EventType.REJECTED,
        Verb.DELETED: EventType.DELETED,
    },
    notification=EventType.NOTIFICATION_REQUESTED,
    fields=(
        ("name", "Name"),
        ("international", "Scope"),
        ("sign_type", "Signature type"),
        ("document_type", "Document type"),
        ("purpose", "Use"),
        ("qualification_id", "Qualification"),
        ("remark", "Remark"),
        ("proof_images", "Proof images"),
        ("commission_image", "Commission image"),
        ("extra", "Provider fields"),
    ),
)

TEMPLATE_KIND = ReviewKind(
    name=TEMPLATE,
    decisions=frozenset({Status.APPROVED, Status.REJECTED}),
    events={
        Verb.SUBMITTED: EventType.TEMPLATE_SUBMITTED,
        Verb.MODIFIED: EventType.TEMPLATE_MODIFIED,
        Verb.APPROVED: EventType.TEMPLATE_APPROVED,
        Verb.REJECTED: EventType.TEMPLATE_REJECTED,
        Verb.DELETED: EventType.TEMPLATE_DELETED,
    },
    fields=(
        ("name", "Name"),
        ("international", "Scope"),
        ("type", "Template type"),
        ("content", "Content"),
        ("remark", "Remark"),
    ),
)

KINDS: Mapping[str, ReviewKind] = {kind.name: kind for kind in (SIGNATURE_KIND, TEMPLATE_KIND)}
"""Every reviewable kind, by name. A new kind adds its declaration here."""

_DECISION_VERBS = {
    Status.APPROVED: Verb.APPROVED,
    Status.FILING: Verb.FILING,
    Status.REJECTED: Verb.REJECTED,
}


def kind_of(subject: Subject) -> ReviewKind:
    try:
        return KINDS[subject.kind]
    except KeyError:
        raise errors.NotFound(f"no reviewable kind {subject.kind!r}") from None


def changed(item: R, **changes: Any) -> R:
    """`item` with some fields replaced (every reviewable is a frozen dataclass)."""
    return cast(R, replace(cast(Any, item), **changes))


async def record_submission(
    tx: ReviewTransaction,
    item: R,
    kind: ApplicationKind,
    dialect: str,
    now: float,
    *,
    notify: bool = False,
    expected_version: int | None = None,
) -> tuple[R, Application]:
    """Record `item` (already changed as submitted) as a new application, and its event.

    `expected_version` is the stored version a modification started from; an add's
    freshly inserted row is saved at its own version.
    """
    review_kind = kind_of(item.subject)
    snapshot = item.snapshot()
    snapshot.pop("application_id", None)
    snapshot.pop("version", None)
    application = await tx.insert_application(
        item.subject, item.account_id, kind, dialect, snapshot, now
    )
    item = changed(item, application_id=application.id)
    version = item.version if expected_version is None else expected_version
    saved = await tx.save(item, version)
    verb = Verb.SUBMITTED if kind is ApplicationKind.ADD else Verb.MODIFIED
    payload = {review_kind.name: saved.snapshot(), "application_id": application.id}
    await tx.insert_event(saved.account_id, review_kind.event(verb), saved.subject, payload, now)
    if notify and review_kind.notification is not None:
        await tx.insert_event(
            saved.account_id, review_kind.notification, saved.subject, payload, now
        )
    return saved, application


async def record_deletion(tx: ReviewTransaction, item: Reviewable, now: float) -> None:
    review_kind = kind_of(item.subject)
    await tx.delete(item, now)
    await tx.insert_event(
        item.account_id,
        review_kind.event(Verb.DELETED),
        item.subject,
        {review_kind.name: item.snapshot()},
        now,
    )


class ReviewRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[ReviewTransaction]: ...


class Reviews:
    """The operator-facing use case of every kind: decide an application."""

    def __init__(self, repository: ReviewRepository, clock: Clock) -> None:
        self.repository = repository
        self.clock = clock

    async def review(
        self,
        subject: Subject,
        decision: Status,
        *,
        reason: str = "",
        reviewer: str = "operator",
    ) -> Reviewable:
        """Approve, start filing or reject the reviewable's current application."""
        review_kind = kind_of(subject)
        reason = bounds.reason(reason, required=decision is Status.REJECTED)
        if decision not in review_kind.decisions:
            raise errors.InvalidTransition("any", decision.value)
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            current = await tx.lock_subject(subject, None)
            if current is None:
                raise errors.NotFound()
            rules.check_transition(current.status, decision)
            reply = reason if decision is Status.REJECTED else (reason or current.review_reply)
            saved = await tx.save(
                changed(
                    current, status=decision, review_reply=reply, reviewed_at=now, updated_at=now
                ),
                current.version,
            )
            await tx.insert_review(subject, saved.application_id, decision, reason, reviewer, now)
            await tx.insert_event(
                saved.account_id,
                review_kind.event(_DECISION_VERBS[decision]),
                subject,
                {review_kind.name: saved.snapshot(), "reason": reason, "reviewer": reviewer},
                now,
            )
            return saved
