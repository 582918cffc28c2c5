"""Entities of the domain: accounts, signatures, and the applications, reviews and events
that every reviewable kind shares.

Plain immutable values. Persistence and wire formats live elsewhere; a signature's
provider-specific fields (an industry, a website) ride along in `extra`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Certification(StrEnum):
    ENTERPRISE = "enterprise"
    INDIVIDUAL = "individual"


class Status(StrEnum):
    PENDING = "pending"
    FILING = "filing"
    """Approved by review; the carriers' filing (报备) has not finished yet."""
    APPROVED = "approved"
    REJECTED = "rejected"


class QualificationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    certification: Certification
    arrears: bool = False
    ip_allow: tuple[str, ...] = ()
    signature_quota: int = 100
    created_at: float = 0.0

    def allows_ip(self, address: str | None) -> bool:
        """True when no allow-list is set or `address` falls inside one of its networks."""
        if not self.ip_allow:
            return True
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.ip_allow)


@dataclass(frozen=True, slots=True)
class Credential:
    """One credential of an account, of the kind its dialect declares (core/providers.py).

    `key_id` is what the caller presents in the clear; `secret` is what signs requests
    (empty for a bearer key, which is itself the secret). `dialect` is the credential
    kind's name.
    """

    id: int
    account_id: int
    dialect: str
    key_id: str
    secret: str
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class Qualification:
    """A mainland qualification (资质) that signatures may refer to."""

    id: int
    account_id: int
    name: str
    status: QualificationStatus


@dataclass(frozen=True, slots=True)
class Image:
    """A decoded, validated image ready to be stored."""

    data: bytes
    format: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Draft:
    """What a caller submits when adding or modifying a signature, after the dialect parsed it.

    `sign_type` and `document_type` use the richest of the providers' catalogues (see
    rules.SIGN_TYPES); dialects that have no such fields leave them None.
    """

    name: str
    international: bool = False
    sign_type: int | None = None
    document_type: int | None = None
    purpose: int = 0
    proof_images: tuple[Image, ...] = ()
    commission_image: Image | None = None
    remark: str = ""
    qualification_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    notify: bool = False
    """The caller asked to be told the review result (a `notify` flag)."""
    extra_images: Mapping[str, Image] = field(default_factory=dict)
    """Provider-specific images (an ID-card photo): stored once every check has
    passed, their digests put into `extra` under the same key."""


@dataclass(frozen=True, slots=True)
class Revision:
    """A partial modification: what a caller changes of a signature, the rest kept as stored.

    Some dialects modify only the fields they know (text, remark, a picture,
    an industry); None keeps the stored value, so a signature added through another dialect
    keeps its type, purpose, images and provider fields, and its stored images are reused
    by digest rather than read back and stored again.
    """

    name: str | None = None
    remark: str | None = None
    purpose: int | None = None
    proof_images: tuple[Image, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Merged over the stored provider fields."""
    extra_removed: tuple[str, ...] = ()
    """Provider fields to drop."""
    extra_images: Mapping[str, Image] = field(default_factory=dict)
    notify: bool = False


@dataclass(frozen=True, slots=True)
class Signature:
    id: int
    account_id: int
    name: str
    international: bool
    sign_type: int | None
    document_type: int | None
    purpose: int
    proof_images: tuple[str, ...]
    """sha256 digests of the proof images in the blob store."""
    commission_image: str | None
    remark: str
    qualification_id: int | None
    extra: Mapping[str, Any]
    status: Status
    review_reply: str
    submitted_at: float
    """When the current application was submitted (a CreateTime)."""
    reviewed_at: float | None
    created_at: float
    updated_at: float
    version: int
    application_id: int
    """The latest application (SignApplyId)."""

    @property
    def subject(self) -> Subject:
        return Subject(SIGNATURE, self.id)

    def snapshot(self) -> dict[str, Any]:
        """The signature as JSON-ready data, for applications and events."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "name": self.name,
            "international": self.international,
            "sign_type": self.sign_type,
            "document_type": self.document_type,
            "purpose": self.purpose,
            "proof_images": list(self.proof_images),
            "commission_image": self.commission_image,
            "remark": self.remark,
            "qualification_id": self.qualification_id,
            "extra": dict(self.extra),
            "status": self.status.value,
            "review_reply": self.review_reply,
            "submitted_at": self.submitted_at,
            "reviewed_at": self.reviewed_at,
            "application_id": self.application_id,
            "version": self.version,
        }


class TemplateType(StrEnum):
    """What a template's messages are for; each dialect maps its own codes onto these."""

    NORMAL = "normal"
    """An old-style general template, treated like a notification by the content rules."""
    MARKETING = "marketing"
    NOTIFICATION = "notification"
    VERIFICATION = "verification"


@dataclass(frozen=True, slots=True)
class Template:
    """What a message says: the second reviewable kind (see core/templates.py).

    `content` is in the neutral form: variables are written `{name}`, where a name is a
    number (`{1}`) or a word (`{code}`); each dialect renders its own syntax from it.
    """

    id: int
    account_id: int
    name: str
    content: str
    type: TemplateType
    international: bool
    remark: str
    status: Status
    review_reply: str
    submitted_at: float
    reviewed_at: float | None
    created_at: float
    updated_at: float
    version: int
    application_id: int
    extra: Mapping[str, Any] = field(default_factory=dict)
    """What a dialect keeps beside the neutral fields (a review-result callback URL)."""

    @property
    def subject(self) -> Subject:
        return Subject(TEMPLATE, self.id)

    def snapshot(self) -> dict[str, Any]:
        """The template as JSON-ready data, for applications and events."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "name": self.name,
            "content": self.content,
            "type": self.type.value,
            "international": self.international,
            "remark": self.remark,
            "status": self.status.value,
            "review_reply": self.review_reply,
            "submitted_at": self.submitted_at,
            "reviewed_at": self.reviewed_at,
            "application_id": self.application_id,
            "version": self.version,
            "extra": dict(self.extra),
        }


class ApplicationKind(StrEnum):
    ADD = "add"
    MODIFY = "modify"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a review is about: a reviewable kind's name (`signature`, later `template`)
    and the id of one of them. Applications, reviews and events are keyed by it."""

    kind: str
    id: int


SIGNATURE = "signature"
"""The kind name of signatures (see core/review.py for the kinds' declarations)."""
TEMPLATE = "template"
"""The kind name of templates."""


@dataclass(frozen=True, slots=True)
class Application:
    """One submission (add or modify) of a reviewable: a SignApplyId."""

    id: int
    subject: Subject
    account_id: int
    kind: ApplicationKind
    dialect: str
    snapshot: Mapping[str, Any]
    created_at: float

    @property
    def signature_id(self) -> int | None:
        return _signature_id(self.subject)


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    subject: Subject
    application_id: int
    decision: Status
    reason: str
    reviewer: str
    created_at: float

    @property
    def signature_id(self) -> int | None:
        return _signature_id(self.subject)


class EventType(StrEnum):
    """Every event name. A reviewable kind's events are `<kind>.<verb>` (see `Verb`)."""

    SUBMITTED = "signature.submitted"
    MODIFIED = "signature.modified"
    APPROVED = "signature.approved"
    FILING = "signature.filing"
    REJECTED = "signature.rejected"
    DELETED = "signature.deleted"
    TEMPLATE_SUBMITTED = "template.submitted"
    TEMPLATE_MODIFIED = "template.modified"
    TEMPLATE_APPROVED = "template.approved"
    TEMPLATE_REJECTED = "template.rejected"
    TEMPLATE_DELETED = "template.deleted"
    NOTIFICATION_REQUESTED = "notification.requested"
    MESSAGE_ACCEPTED = "message.accepted"
    """A send was accepted: payload `message` (core/messages.py Message.snapshot)."""
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    REPLY_RECEIVED = "reply.received"
    """A handset replied: payload `reply` (Reply.snapshot)."""


class Verb(StrEnum):
    """What happened to a reviewable; its kind's event is named `<kind>.<verb>`."""

    SUBMITTED = "submitted"
    MODIFIED = "modified"
    APPROVED = "approved"
    FILING = "filing"
    REJECTED = "rejected"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True, init=False)
class Event:
    """A change worth telling the account about; written to the outbox with the change."""

    id: int
    account_id: int
    type: EventType
    subject: Subject | None
    payload: Mapping[str, Any]
    created_at: float

    def __init__(
        self,
        id: int,
        account_id: int,
        type: EventType,
        subject: Subject | None = None,
        payload: Mapping[str, Any] | None = None,
        created_at: float = 0.0,
        *,
        signature_id: int | None = None,
    ) -> None:
        """`signature_id` is the spelling from before reviewable kinds: a signature's id."""
        if subject is None and signature_id is not None:
            subject = Subject(SIGNATURE, signature_id)
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "account_id", account_id)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "subject", subject)
        object.__setattr__(self, "payload", {} if payload is None else payload)
        object.__setattr__(self, "created_at", created_at)

    @property
    def signature_id(self) -> int | None:
        return _signature_id(self.subject)


def _signature_id(subject: Subject | None) -> int | None:
    return subject.id if subject is not None and subject.kind == SIGNATURE else None
