"""Cross-account reads of reviewables for the console, the admin API and auto-review.

Any kind, deleted ones included: one reviewable with its applications' reviews and
events (the timeline), lists filtered by status, owner and name (the review queue), and
counts per status. Mixed into BackofficeStore, which supplies the connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from smssign.core.model import SIGNATURE, Event, Review, Signature, Status, Subject
from smssign.core.ports import Reviewable
from smssign.store import tables as t
from smssign.store.reviewables import KIND_TABLES, event_of, kind_table

MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Record:
    """A reviewable as the console sees it: deleted ones included, with when."""

    item: Reviewable
    deleted_at: float | None

    @property
    def signature(self) -> Signature:
        assert isinstance(self.item, Signature)
        return self.item


SignatureRecord = Record
"""The name from before reviewable kinds."""


def _subject(subject: Subject | int) -> Subject:
    """An int is a signature's id (callers from before reviewable kinds)."""
    return Subject(SIGNATURE, subject) if isinstance(subject, int) else subject


class RecordReads:
    """The reads; `_read` is the store's own connection."""

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    async def record(self, subject: Subject | int) -> Record | None:
        """Any reviewable, deleted ones too."""
        subject = _subject(subject)
        if not 0 < subject.id <= MAX_ID or subject.kind not in KIND_TABLES:
            return None
        kind = KIND_TABLES[subject.kind]
        async with self._read() as conn:
            row = (
                await conn.execute(select(kind.table).where(kind.table.c.id == subject.id))
            ).first()
        if row is None:
            return None
        return Record(kind.read(row), row._mapping["deleted_at"])

    async def signature_record(self, sign_id: int) -> Record | None:
        """Any signature, deleted ones too."""
        return await self.record(sign_id)

    async def signature_list(
        self,
        *,
        statuses: Sequence[Status] = (),
        account_id: int | None = None,
        text: str = "",
        oldest_first: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Signature], int]:
        """Live signatures of every account, filtered, and how many match."""
        found, total = await self.reviewable_list(
            SIGNATURE,
            statuses=statuses,
            account_id=account_id,
            text=text,
            oldest_first=oldest_first,
            offset=offset,
            limit=limit,
        )
        return [item for item in found if isinstance(item, Signature)], total

    async def reviewable_list(
        self,
        kind: str,
        *,
        statuses: Sequence[Status] = (),
        account_id: int | None = None,
        text: str = "",
        oldest_first: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Reviewable], int]:
        """Live reviewables of one kind in every account, filtered by status, owner and
        name, and how many match; oldest submission first is the review queue's order."""
        table = kind_table(kind)
        c = table.table.c
        where: list[ColumnElement[bool]] = [c.deleted_at.is_(None)]
        if statuses:
            where.append(c.status.in_([s.value for s in statuses]))
        if account_id is not None:
            where.append(c.account_id == account_id)
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(c.name.like(f"%{escaped}%", escape="\\"))
        order = (c.submitted_at, c.id) if oldest_first else (c.id.desc(),)
        page = select(table.table).where(*where).order_by(*order).offset(offset).limit(limit)
        count = select(func.count()).select_from(table.table).where(*where)
        async with self._read() as conn:
            rows = (await conn.execute(page)).all()
            total = int((await conn.execute(count)).scalar_one())
        return [table.read(r) for r in rows], total

    async def status_counts(self, kind: str = SIGNATURE) -> dict[str, int]:
        c = kind_table(kind).table.c
        query = select(c.status, func.count()).where(c.deleted_at.is_(None)).group_by(c.status)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        counts = {status.value: 0 for status in Status}
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts

    async def reviews(self, subject: Subject | int) -> list[Review]:
        subject = _subject(subject)
        c = t.reviews.c
        query = (
            select(t.reviews)
            .where(c.subject_kind == subject.kind, c.subject_id == subject.id)
            .order_by(c.id)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Review(
                r.id,
                Subject(r.subject_kind, r.subject_id),
                r.application_id,
                Status(r.decision),
                r.reason,
                r.reviewer,
                r.created_at,
            )
            for r in rows
        ]

    async def latest_reviewers(self, ids: Sequence[int], kind: str = SIGNATURE) -> dict[int, str]:
        """Who made the newest review of each reviewable of `kind` that has one."""
        if not ids:
            return {}
        c = t.reviews.c
        newest = (
            select(func.max(c.id))
            .where(c.subject_kind == kind, c.subject_id.in_(list(ids)))
            .group_by(c.subject_id)
        )
        query = select(c.subject_id, c.reviewer).where(c.id.in_(newest))
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return {row[0]: row[1] for row in rows}

    async def subject_events(self, subject: Subject | int) -> list[Event]:
        subject = _subject(subject)
        e = t.events.c
        query = (
            select(t.events)
            .where(e.subject_kind == subject.kind, e.subject_id == subject.id)
            .order_by(e.id)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [event_of(r) for r in rows]

    signature_events = subject_events


__all__ = ["Record", "RecordReads", "SignatureRecord"]
