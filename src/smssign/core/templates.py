"""Use cases and content rules of templates, the second reviewable kind.

A template's content is kept in a neutral form: variables are written `{name}`, where a
name is a number (`{1}`) or a word (`{code}`). Each dialect parses its own syntax into
this form and renders it back (`{1}`, `#code#`, `${code}`); the rules below
are checked once, here, and raise the same neutral errors whatever the dialect.

Applications, reviews and events go through the review core (core/review.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from smssign.core import errors, review, rules
from smssign.core.clock import Clock
from smssign.core.model import (
    TEMPLATE,
    Account,
    Application,
    ApplicationKind,
    Status,
    Subject,
    Template,
    TemplateType,
)
from smssign.core.ports import ReviewTransaction

LONGEST_CONTENT = 500
"""Characters of a template's content, variables written as stored (a provider may count
the signature and the values too; a stored template can only be held to its own text)."""
MOST_TEMPLATES = 1000
"""Live templates one account may hold."""

_VARIABLE = re.compile(r"\{([A-Za-z0-9_]{1,32})\}")


@dataclass(frozen=True, slots=True)
class Content:
    """Checked neutral content: its text and its variables' names, in order of first use."""

    text: str
    variables: tuple[str, ...]

    @property
    def parameter_count(self) -> int:
        """How many parameters a message sent with this template must carry."""
        return len(self.variables)

    def render(self, variable: Callable[[int, str], str]) -> str:
        """The text with each variable written by `variable(position, name)` (from 1)."""
        position = {name: index + 1 for index, name in enumerate(self.variables)}
        return _VARIABLE.sub(lambda m: variable(position[m.group(1)], m.group(1)), self.text)


def parse(text: str) -> Content:
    """Check `text` in the neutral form; raise errors.InvalidTemplateContent if malformed."""
    if not text.strip():
        raise errors.InvalidTemplateContent("the content is empty")
    if len(text) > LONGEST_CONTENT:
        raise errors.TemplateContentTooLong(f"at most {LONGEST_CONTENT} characters")
    if "【" in text or "】" in text:
        raise errors.InvalidTemplateContent("【】 mark a signature and may not appear")
    names: list[str] = []
    previous_end = -1
    for match in _VARIABLE.finditer(text):
        if match.start() == previous_end:
            raise errors.InvalidTemplateContent("two variables may not touch")
        previous_end = match.end()
        if match.group(1) not in names:
            names.append(match.group(1))
    rest = _VARIABLE.sub("", text)
    if "{" in rest or "}" in rest:
        raise errors.InvalidTemplateContent("a variable is malformed")
    if names and not rest.strip():
        raise errors.InvalidTemplateContent("the content is nothing but variables")
    numbered = [name for name in names if name.isdigit()]
    if numbered and (
        len(numbered) != len(names)
        or sorted(int(n) for n in numbered) != list(range(1, len(numbered) + 1))
    ):
        raise errors.InvalidTemplateContent("numbered variables must run {1}, {2}, … in order")
    return Content(text, tuple(names))


def has_url(text: str) -> bool:
    """Whether `text` holds something that reads as a link (http://, www., a domain)."""
    return rules.contains_url(text)


def check_content(text: str, type: TemplateType) -> Content:
    content = parse(text)
    if type is TemplateType.VERIFICATION and rules.contains_url(_VARIABLE.sub(" ", text)):
        raise errors.UrlInVerificationTemplate("a verification-code template may not link")
    return content


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    """A template as submitted (add, or a full modify)."""

    name: str
    content: str
    type: TemplateType
    international: bool
    remark: str = ""
    extra: Mapping[str, Any] | None = None
    """A dialect's own fields (see Template.extra); None keeps what a modified template
    has, so a dialect that knows none of them leaves another dialect's alone."""


@dataclass(frozen=True, slots=True)
class TemplateChange:
    template: Template
    application: Application


class TemplateTransaction(ReviewTransaction, Protocol):
    async def insert_template(
        self, account_id: int, draft: TemplateDraft, status: Status, at: float
    ) -> Template: ...

    async def count_templates(self, account_id: int) -> int: ...

    async def has_applied_for_signature(self, account_id: int) -> bool:
        """Whether the account ever applied for a signature (a live one, any status)."""
        ...


class TemplateRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[TemplateTransaction]: ...

    async def templates(self, account_id: int, ids: Sequence[int]) -> list[Template]:
        """The caller's live templates among `ids`, in the order asked; others skipped."""
        ...

    async def template_page(
        self, account_id: int, *, international: bool | None, offset: int, limit: int | None
    ) -> tuple[list[Template], int]: ...

    async def templates_with_status(
        self, statuses: Sequence[Status], limit: int = 500
    ) -> list[Template]: ...


def _check_draft(draft: TemplateDraft) -> Content:
    if not draft.name.strip():
        raise errors.InvalidSubmission("name", "the name is empty")
    rules.check_length("name", draft.name, rules.LONGEST_NAME)
    rules.check_length("remark", draft.remark, rules.LONGEST_REMARK)
    if not isinstance(draft.type, TemplateType):
        raise errors.InvalidTemplateType(f"unknown type {draft.type!r}")
    return check_content(draft.content, draft.type)


class TemplateService:
    def __init__(self, repository: TemplateRepository, clock: Clock) -> None:
        self.repository = repository
        self.clock = clock
        self.reviews = review.Reviews(repository, clock)

    async def add(self, account: Account, draft: TemplateDraft, *, dialect: str) -> TemplateChange:
        _check_draft(draft)
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            if not await tx.has_applied_for_signature(account.id):
                raise errors.MissingSignature()
            if await tx.count_templates(account.id) >= MOST_TEMPLATES:
                raise errors.QuotaExceeded()
            template = await tx.insert_template(account.id, draft, Status.PENDING, now)
            saved, application = await review.record_submission(
                tx, template, ApplicationKind.ADD, dialect, now
            )
            return TemplateChange(saved, application)

    async def modify(
        self, account: Account, template_id: int, draft: TemplateDraft, *, dialect: str
    ) -> TemplateChange:
        """Replace the whole submission; only a pending or rejected template may change."""
        _check_draft(draft)
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            current = await tx.lock_subject(Subject(TEMPLATE, template_id), account.id)
            if not isinstance(current, Template):
                raise errors.NotFound()
            rules.check_modifiable(current.status)
            if draft.international != current.international:
                raise errors.ScopeImmutable()
            item = review.changed(
                current,
                name=draft.name,
                content=draft.content,
                type=draft.type,
                remark=draft.remark,
                extra=current.extra if draft.extra is None else dict(draft.extra),
                status=Status.PENDING,
                review_reply="",
                submitted_at=now,
                reviewed_at=None,
                updated_at=now,
            )
            saved, application = await review.record_submission(
                tx, item, ApplicationKind.MODIFY, dialect, now, expected_version=current.version
            )
            return TemplateChange(saved, application)

    async def delete(self, account: Account, template_ids: Sequence[int]) -> float:
        """Delete all of `template_ids` or, if any is unknown, none of them."""
        now = self.clock.now()
        async with self.repository.transaction() as tx:
            found: list[Template] = []
            for template_id in dict.fromkeys(template_ids):
                current = await tx.lock_subject(Subject(TEMPLATE, template_id), account.id)
                if not isinstance(current, Template):
                    raise errors.NotFound()
                found.append(current)
            for template in found:
                await review.record_deletion(tx, template, now)
        return now

    async def describe(self, account: Account, template_ids: Sequence[int]) -> list[Template]:
        return await self.repository.templates(account.id, template_ids)

    async def page(
        self,
        account: Account,
        *,
        international: bool | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[Template], int]:
        return await self.repository.template_page(
            account.id, international=international, offset=offset, limit=limit
        )

    async def queue(self, statuses: Sequence[Status]) -> list[Template]:
        return await self.repository.templates_with_status(statuses)

    async def review(
        self, template_id: int, decision: Status, *, reason: str = "", reviewer: str = "operator"
    ) -> Template:
        """Approve or reject the template's current application."""
        saved = await self.reviews.review(
            Subject(TEMPLATE, template_id), decision, reason=reason, reviewer=reviewer
        )
        assert isinstance(saved, Template)
        return saved


__all__ = [
    "Content",
    "TemplateChange",
    "TemplateDraft",
    "TemplateRepository",
    "TemplateService",
    "TemplateTransaction",
    "check_content",
    "parse",
]
