"""A reviewable's history for reviewers: applications, reviews and webhook deliveries in
order, and what a modification changed compared with the application before it.

Works on any reviewable kind (`Subject(kind, id)`); the fields compared are the ones its
`ReviewKind` declares. Shared by the console and the admin API, so both tell the same story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smssign.backoffice.webhooks import Attempt, Delivery
from smssign.core.model import (
    SIGNATURE,
    Application,
    Event,
    Review,
    Signature,
    Subject,
    Template,
    Verb,
)
from smssign.core.ports import Reviewable
from smssign.core.review import SIGNATURE_KIND, kind_of
from smssign.store.backoffice import BackofficeStore, Record
from smssign.store.repository import SqlRepository

SIGN_TYPES: Mapping[int, str] = {
    0: "company (公司)",
    1: "app (APP)",
    2: "website (网站)",
    3: "WeChat official account (公众号)",
    4: "trademark (商标)",
    5: "government or public institution (政府/机关事业单位/其他机构)",
    6: "mini program (小程序)",
}
DOCUMENT_TYPES: Mapping[int, str] = {
    0: "three-in-one licence (三证合一)",
    1: "business licence (企业营业执照)",
    2: "organisation code certificate (组织机构代码证书)",
    3: "unified social credit code certificate (社会信用代码证书)",
    4: "app back-office screenshot (应用后台管理截图)",
    5: "website ICP filing screenshot (网站备案后台截图)",
    6: "mini-program settings screenshot (小程序设置页面截图)",
    7: "trademark registration certificate (商标注册书)",
    8: "official-account settings screenshot (公众号设置页面截图)",
}
PURPOSES: Mapping[int, str] = {0: "own use (自用)", 1: "for others (他用)"}
TEMPLATE_TYPES: Mapping[str, str] = {
    "normal": "general",
    "marketing": "marketing",
    "notification": "notification",
    "verification": "verification code",
}

FIELDS: Sequence[tuple[str, str]] = SIGNATURE_KIND.fields
"""The signature application fields a reviewer compares, in the order shown."""


def describe(field_name: str, value: Any) -> str:
    """A field's value as a reviewer reads it."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    match field_name:
        case "international":
            return "international" if value else "mainland China"
        case "sign_type":
            return f"{value}: {SIGN_TYPES.get(value, 'unknown')}"
        case "document_type":
            return f"{value}: {DOCUMENT_TYPES.get(value, 'unknown')}"
        case "purpose":
            return PURPOSES.get(value, str(value))
        case "proof_images":
            return f"{len(value)} image(s)"
        case "commission_image":
            return "1 image"
        case "type":
            return TEMPLATE_TYPES.get(str(value), str(value))
        case "extra":
            return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    label: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return bool(self.before != self.after)

    @property
    def images(self) -> bool:
        return self.field in ("proof_images", "commission_image")

    def before_images(self) -> list[str]:
        return _images(self.before)

    def after_images(self) -> list[str]:
        return _images(self.after)


def _images(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []


def compare(
    before: Mapping[str, Any], after: Mapping[str, Any], kind: str = SIGNATURE
) -> list[FieldChange]:
    """Every reviewed field of two application snapshots, side by side."""
    fields = kind_of(Subject(kind, 0)).fields
    return [FieldChange(name, label, before.get(name), after.get(name)) for name, label in fields]


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline; exactly one of the optional parts is set."""

    at: float
    kind: str
    """application, review, delivery or deleted."""
    application: Application | None = None
    review: Review | None = None
    delivery: Delivery | None = None
    attempts: tuple[Attempt, ...] = ()
    event: Event | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at, "kind": self.kind}
        if self.application is not None:
            a = self.application
            out["application"] = {
                "id": a.id,
                "kind": a.kind.value,
                "dialect": a.dialect,
                "snapshot": dict(a.snapshot),
                "created_at": a.created_at,
            }
        if self.review is not None:
            r = self.review
            out["review"] = {
                "id": r.id,
                "application_id": r.application_id,
                "decision": r.decision.value,
                "reason": r.reason,
                "reviewer": r.reviewer,
                "created_at": r.created_at,
            }
        if self.delivery is not None:
            out["delivery"] = delivery_json(self.delivery, self.attempts)
        if self.event is not None:
            out["event"] = {"id": self.event.id, "type": self.event.type.value}
        return out


def delivery_json(delivery: Delivery, attempts: Sequence[Attempt] = ()) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "account_id": delivery.account_id,
        "signature_id": delivery.signature_id,
        "type": delivery.type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
        "channel": delivery.channel,
        "url": delivery.url,
        "attempt_log": [
            {
                "number": a.number,
                "url": a.url,
                "started_at": a.started_at,
                "duration": a.duration,
                "status_code": a.status_code,
                "error": a.error,
                "response": a.response,
                "delivered": a.delivered,
            }
            for a in attempts
        ],
    }


@dataclass(frozen=True, slots=True)
class Timeline:
    record: Record
    applications: tuple[Application, ...]
    entries: tuple[Entry, ...] = field(default=())

    @property
    def item(self) -> Reviewable:
        return self.record.item

    @property
    def signature(self) -> Signature:
        return self.record.signature

    @property
    def template(self) -> Template:
        assert isinstance(self.item, Template)
        return self.item

    def current_application(self) -> Application | None:
        return self.applications[-1] if self.applications else None

    def changes(self) -> list[FieldChange] | None:
        """What the newest application changed against the one before; None for a first one."""
        if len(self.applications) < 2:
            return None
        return compare(
            self.applications[-2].snapshot,
            self.applications[-1].snapshot,
            self.item.subject.kind,
        )


async def application_history(
    repository: SqlRepository, subject: Subject | int
) -> tuple[Application, ...]:
    return tuple(await repository.applications(subject))


async def build(
    repository: SqlRepository, store: BackofficeStore, subject: Subject | int
) -> Timeline | None:
    """Everything that happened to one reviewable, oldest first; None if it never existed."""
    if isinstance(subject, int):
        subject = Subject(SIGNATURE, subject)
    record = await store.record(subject)
    if record is None:
        return None
    deleted = kind_of(subject).event(Verb.DELETED)
    applications = await application_history(repository, subject)
    entries: list[Entry] = [Entry(a.created_at, "application", application=a) for a in applications]
    entries += [Entry(r.created_at, "review", review=r) for r in await store.reviews(subject)]
    for delivery in await store.subject_deliveries(subject):
        attempts = tuple(await store.attempts(delivery.id))
        entries.append(Entry(delivery.created_at, "delivery", delivery=delivery, attempts=attempts))
    entries += [
        Entry(e.created_at, "deleted", event=e)
        for e in await store.subject_events(subject)
        if e.type is deleted
    ]
    order = {"application": 0, "review": 1, "deleted": 2, "delivery": 3}
    entries.sort(key=lambda e: (e.at, order[e.kind]))
    return Timeline(record, applications, tuple(entries))
