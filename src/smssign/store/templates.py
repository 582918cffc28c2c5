"""SQL of templates, the second reviewable kind: their rows, inserts and reads.

The review core's shared writes (save, delete, applications, reviews, events) are in
store/reviewables.py, which registers this table in `KIND_TABLES`; here is only what is
the template's own: `TemplateWrites` is mixed into SqlTransaction, `TemplateReads` into
SqlRepository.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row

from smssign.core.model import SIGNATURE, Status, Template, TemplateType
from smssign.core.templates import TemplateDraft
from smssign.store import tables as t
from smssign.store.sqlite_direct import Executor

_STATUS = {status.value: status for status in Status}
_TYPE = {kind.value: kind for kind in TemplateType}
_LIVE = t.templates.c.deleted_at.is_(None)


def template_of(row: Row[Any]) -> Template:
    """A row of `select(t.templates)` (or RETURNING it)."""
    m = row._mapping
    return Template(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        content=m["content"],
        type=_TYPE[m["type"]],
        international=bool(m["international"]),
        remark=m["remark"],
        status=_STATUS[m["status"]],
        review_reply=m["review_reply"],
        submitted_at=m["submitted_at"],
        reviewed_at=m["reviewed_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
        application_id=m["application_id"],
        extra=m["extra"] or {},
    )


def template_values(template: Template) -> dict[str, Any]:
    """The columns a save writes."""
    return {
        "name": template.name,
        "content": template.content,
        "type": template.type.value,
        "international": template.international,
        "remark": template.remark,
        "status": template.status.value,
        "review_reply": template.review_reply,
        "submitted_at": template.submitted_at,
        "reviewed_at": template.reviewed_at,
        "updated_at": template.updated_at,
        "application_id": template.application_id,
        "extra": dict(template.extra),
    }


class TemplateWrites:
    """Template inserts and checks of one transaction (mixed into SqlTransaction)."""

    conn: Executor

    async def insert_template(
        self, account_id: int, draft: TemplateDraft, status: Status, at: float
    ) -> Template:
        values = {
            "account_id": account_id,
            "name": draft.name,
            "content": draft.content,
            "type": draft.type.value,
            "international": draft.international,
            "remark": draft.remark,
            "status": status.value,
            "review_reply": "",
            "submitted_at": at,
            "reviewed_at": None,
            "created_at": at,
            "updated_at": at,
            "deleted_at": None,
            "version": 0,
            "application_id": 0,
            "extra": dict(draft.extra or {}),
        }
        result = await self.conn.execute(
            insert(t.templates).values(**values).returning(t.templates)
        )
        return template_of(result.one())

    async def count_templates(self, account_id: int) -> int:
        query = select(func.count()).where(t.templates.c.account_id == account_id, _LIVE)
        return int((await self.conn.execute(query)).scalar_one())

    async def has_applied_for_signature(self, account_id: int) -> bool:
        c = t.applications.c
        query = select(c.id).where(c.account_id == account_id, c.subject_kind == SIGNATURE).limit(1)
        return (await self.conn.execute(query)).first() is not None


class TemplateReads:
    """Template reads of the repository (mixed into SqlRepository)."""

    def _read(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    async def templates(self, account_id: int, ids: Sequence[int]) -> list[Template]:
        if not ids:
            return []
        c = t.templates.c
        query = select(t.templates).where(
            c.account_id == account_id, c.id.in_(list(dict.fromkeys(ids))), _LIVE
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        by_id = {row._mapping["id"]: template_of(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def template_page(
        self, account_id: int, *, international: bool | None, offset: int, limit: int | None
    ) -> tuple[list[Template], int]:
        c = t.templates.c
        where = [c.account_id == account_id, _LIVE]
        if international is not None:
            where.append(c.international == international)
        page = select(t.templates).where(*where).order_by(c.id).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        async with self._read() as conn:
            rows = (await conn.execute(page)).all()
            total_query = select(func.count()).select_from(t.templates).where(*where)
            total = int((await conn.execute(total_query)).scalar_one())
        return [template_of(r) for r in rows], total

    async def templates_with_status(
        self, statuses: Sequence[Status], limit: int = 500
    ) -> list[Template]:
        """Every account's templates in these statuses, oldest submission first."""
        c = t.templates.c
        query = (
            select(t.templates)
            .where(c.status.in_([s.value for s in statuses]), _LIVE)
            .order_by(c.submitted_at, c.id)
            .limit(limit)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [template_of(r) for r in rows]

    async def template(self, template_id: int) -> Template | None:
        """Any live template (operator view)."""
        query = select(t.templates).where(t.templates.c.id == template_id, _LIVE)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return template_of(row) if row else None
