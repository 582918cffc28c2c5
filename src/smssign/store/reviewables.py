"""SQL for the reviewable kinds: their tables' rows, the prepared statements of the hot
paths, and the reads and writes of signatures, applications, reviews and events.

`ReviewWrites` is the part of a write transaction (SqlTransaction) that the signature
use cases and the review core call; `ReviewReads` the part of the repository that reads
them back. A new reviewable kind adds its `KindTable` and its own inserts and reads here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, Table, Update, bindparam, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from smssign.core import errors
from smssign.core.images import digests_in
from smssign.core.model import (
    SIGNATURE,
    TEMPLATE,
    Application,
    ApplicationKind,
    Event,
    EventType,
    Qualification,
    QualificationStatus,
    Review,
    Signature,
    Status,
    Subject,
)
from smssign.core.ports import NameFilter, NewSignature, R, Reviewable
from smssign.core.review import changed
from smssign.store import tables as t
from smssign.store.sqlite_direct import Executor, fetch
from smssign.store.templates import template_of, template_values

_COLUMN = {name: index for index, name in enumerate(t.signatures.c.keys())}
_STATUS = {status.value: status for status in Status}


def _signature(row: Sequence[Any]) -> Signature:
    """A row of `select(t.signatures)` (or RETURNING it): the table's columns in order.

    Read by position: by-name lookups through `row._mapping` cost as much as the query.
    """
    v, i = tuple(row), _COLUMN
    return Signature(
        id=v[i["id"]],
        account_id=v[i["account_id"]],
        name=v[i["name"]],
        international=bool(v[i["international"]]),
        sign_type=v[i["sign_type"]],
        document_type=v[i["document_type"]],
        purpose=v[i["purpose"]],
        proof_images=tuple(v[i["proof_images"]]),
        commission_image=v[i["commission_image"]],
        remark=v[i["remark"]],
        qualification_id=v[i["qualification_id"]],
        extra=v[i["extra"]],
        status=_STATUS[v[i["status"]]],
        review_reply=v[i["review_reply"]],
        submitted_at=v[i["submitted_at"]],
        reviewed_at=v[i["reviewed_at"]],
        created_at=v[i["created_at"]],
        updated_at=v[i["updated_at"]],
        version=v[i["version"]],
        application_id=v[i["application_id"]],
    )


_EVENT_TYPES = {event_type.value: event_type for event_type in EventType}


def event_of(row: Row[Any]) -> Event:
    """A row of `select(t.events)`."""
    m = row._mapping
    kind, subject_id = m["subject_kind"], m["subject_id"]
    return Event(
        m["id"],
        m["account_id"],
        _EVENT_TYPES[m["type"]],
        Subject(kind, subject_id) if kind is not None and subject_id is not None else None,
        m["payload"],
        m["created_at"],
    )


def _signature_values(signature: Signature) -> dict[str, Any]:
    return {
        "name": signature.name,
        "international": signature.international,
        "sign_type": signature.sign_type,
        "document_type": signature.document_type,
        "purpose": signature.purpose,
        "proof_images": list(signature.proof_images),
        "commission_image": signature.commission_image,
        "remark": signature.remark,
        "qualification_id": signature.qualification_id,
        "extra": dict(signature.extra),
        "status": signature.status.value,
        "review_reply": signature.review_reply,
        "submitted_at": signature.submitted_at,
        "reviewed_at": signature.reviewed_at,
        "updated_at": signature.updated_at,
        "application_id": signature.application_id,
    }


_LIVE = t.signatures.c.deleted_at.is_(None)


@dataclass(frozen=True, slots=True)
class KindTable:
    """Where a reviewable kind lives: its own table (every one has the review columns:
    account_id, status, submitted_at, deleted_at, version, application_id...), how a row
    becomes the kind's value, and which columns a save writes."""

    table: Table
    read: Callable[[Row[Any]], Reviewable]
    values: Callable[[Any], dict[str, Any]]


KIND_TABLES: dict[str, KindTable] = {
    SIGNATURE: KindTable(t.signatures, _signature, _signature_values),
    TEMPLATE: KindTable(t.templates, template_of, template_values),
}
"""Each reviewable kind's table. A new kind adds its entry here."""


def kind_table(kind: str) -> KindTable:
    try:
        return KIND_TABLES[kind]
    except KeyError:
        raise errors.NotFound(f"no reviewable kind {kind!r}") from None


# The hot reads, built once with bound parameters: SQLAlchemy memoizes a statement's cache
# key on the object, so a prebuilt statement skips both construction and key generation
# (two thirds of the cost of a small query). `_page_statements` builds one pair per shape.
_SIGNATURES_BY_ID = select(t.signatures).where(
    t.signatures.c.account_id == bindparam("account_id"),
    t.signatures.c.id.in_(bindparam("ids", expanding=True)),
    _LIVE,
)
_SIGNATURE = select(t.signatures).where(t.signatures.c.id == bindparam("id"), _LIVE)


# The writes of add, modify and review, prepared the same way; parameters named
# where_* are the WHERE clause's, the others the columns written.
_INSERT_SIGNATURE = insert(t.signatures).returning(t.signatures)


@cache
def _save_statement(kind: str) -> Update:
    table = kind_table(kind).table
    return update(table).where(
        table.c.id == bindparam("where_id"),
        table.c.version == bindparam("where_version"),
        table.c.deleted_at.is_(None),
    )


_INSERT_APPLICATION = insert(t.applications).returning(t.applications.c.id)
_INSERT_REVIEW = insert(t.reviews).returning(t.reviews.c.id)
_INSERT_EVENT = insert(t.events).returning(t.events.c.id)


@cache
def _lock_statement(by_account: bool, row_locks: bool) -> Select[Any]:
    query = select(t.signatures).where(t.signatures.c.id == bindparam("sign_id"), _LIVE)
    if by_account:
        query = query.where(t.signatures.c.account_id == bindparam("account_id"))
    return query.with_for_update() if row_locks else query


@cache
def _live_named_statement(excluding: bool) -> Select[Any]:
    c = t.signatures.c
    query = select(t.signatures).where(
        c.account_id == bindparam("account_id"),
        c.name == bindparam("name"),
        c.international == bindparam("international"),
        c.status != Status.REJECTED.value,
        _LIVE,
    )
    if excluding:
        query = query.where(c.id != bindparam("exclude_id"))
    return query.limit(1)


@cache
def _page_statements(
    by_scope: bool, match_name: str | None, limited: bool
) -> tuple[Select[Any], Select[Any]]:
    """(page, count) for one shape of `signature_page` filters; parameters are bound."""
    c = t.signatures.c
    where = [c.account_id == bindparam("account_id"), _LIVE]
    if by_scope:
        where.append(c.international == bindparam("international"))
    if match_name == "exact":
        where.append(c.name == bindparam("name"))
    elif match_name == "contains":
        where.append(c.name.like(bindparam("name"), escape="\\"))
    page = select(t.signatures).where(*where).order_by(c.id).offset(bindparam("offset"))
    if limited:
        page = page.limit(bindparam("limit"))
    return page, select(func.count()).select_from(t.signatures).where(*where)


class ReviewWrites:
    """Signature and review writes of one transaction (mixed into SqlTransaction)."""

    conn: Executor
    row_locks: bool

    async def lock_signature(self, sign_id: int, account_id: int | None) -> Signature | None:
        query = _lock_statement(account_id is not None, self.row_locks)
        params = {"sign_id": sign_id, "account_id": account_id}
        row = (await self.conn.execute(query, params)).first()
        return _signature(row) if row else None

    async def live_named(
        self, account_id: int, name: str, international: bool, exclude_id: int | None
    ) -> Signature | None:
        params = {
            "account_id": account_id,
            "name": name,
            "international": international,
            "exclude_id": exclude_id,
        }
        query = _live_named_statement(exclude_id is not None)
        row = (await self.conn.execute(query, params)).first()
        return _signature(row) if row else None

    async def count_signatures(self, account_id: int) -> int:
        if self.row_locks:
            # The count guards the quota: lock the account so that concurrent adds on
            # several nodes count one after another (SQLite's BEGIN IMMEDIATE does this).
            await self.conn.execute(
                select(t.accounts.c.id).where(t.accounts.c.id == account_id).with_for_update()
            )
        query = select(func.count()).where(t.signatures.c.account_id == account_id, _LIVE)
        return int((await self.conn.execute(query)).scalar_one())

    async def qualification(self, account_id: int, qualification_id: int) -> Qualification | None:
        c = t.qualifications.c
        row = (
            await self.conn.execute(
                select(t.qualifications).where(c.id == qualification_id, c.account_id == account_id)
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return Qualification(m["id"], m["account_id"], m["name"], QualificationStatus(m["status"]))

    async def insert_signature(self, new: NewSignature) -> Signature:
        values = {
            "account_id": new.account_id,
            "name": new.name,
            "international": new.international,
            "sign_type": new.sign_type,
            "document_type": new.document_type,
            "purpose": new.purpose,
            "proof_images": list(new.proof_images),
            "commission_image": new.commission_image,
            "remark": new.remark,
            "qualification_id": new.qualification_id,
            "extra": new.extra,
            "status": new.status.value,
            "review_reply": "",
            "submitted_at": new.at,
            "reviewed_at": None,
            "created_at": new.at,
            "updated_at": new.at,
            "deleted_at": None,
            "version": 0,
            "application_id": 0,
        }
        try:
            result = await self.conn.execute(_INSERT_SIGNATURE, values)
        except IntegrityError as exc:
            raise errors.Conflict("the name was taken concurrently") from exc
        return _signature(result.one())

    async def save_signature(self, signature: Signature, expected_version: int) -> Signature:
        return await self.save(signature, expected_version)

    # --- every reviewable kind ------------------------------------------------------

    async def lock_subject(self, subject: Subject, account_id: int | None) -> Reviewable | None:
        if subject.kind == SIGNATURE:  # the hot path: a statement built once
            return await self.lock_signature(subject.id, account_id)
        kind = kind_table(subject.kind)
        query = select(kind.table).where(
            kind.table.c.id == subject.id, kind.table.c.deleted_at.is_(None)
        )
        if account_id is not None:
            query = query.where(kind.table.c.account_id == account_id)
        if self.row_locks:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return kind.read(row) if row else None

    async def save(self, item: R, expected_version: int) -> R:
        kind = item.subject.kind
        values = {
            **kind_table(kind).values(item),
            "version": expected_version + 1,
            "where_id": item.id,
            "where_version": expected_version,
        }
        try:
            result = await self.conn.execute(_save_statement(kind), values)
        except IntegrityError as exc:
            raise errors.Conflict("the name was taken concurrently") from exc
        if result.rowcount != 1:
            raise errors.Conflict(f"{kind} {item.id} changed concurrently")
        return changed(item, version=expected_version + 1)

    async def delete(self, item: Reviewable, at: float) -> None:
        table = kind_table(item.subject.kind).table
        await self.conn.execute(
            update(table)
            .where(table.c.id == item.id)
            .values(deleted_at=at, updated_at=at, version=table.c.version + 1)
        )

    async def insert_application(
        self,
        subject: Subject,
        account_id: int,
        kind: ApplicationKind,
        dialect: str,
        snapshot: dict[str, Any],
        at: float,
    ) -> Application:
        values = {
            "subject_kind": subject.kind,
            "subject_id": subject.id,
            "account_id": account_id,
            "kind": kind.value,
            "dialect": dialect,
            "snapshot": snapshot,
            "created_at": at,
        }
        result = await self.conn.execute(_INSERT_APPLICATION, values)
        return Application(
            id=result.scalar_one(),
            subject=subject,
            account_id=account_id,
            kind=kind,
            dialect=dialect,
            snapshot=snapshot,
            created_at=at,
        )

    async def insert_review(
        self,
        subject: Subject,
        application_id: int,
        decision: Status,
        reason: str,
        reviewer: str,
        at: float,
    ) -> Review:
        values = {
            "subject_kind": subject.kind,
            "subject_id": subject.id,
            "application_id": application_id,
            "decision": decision.value,
            "reason": reason,
            "reviewer": reviewer,
            "created_at": at,
        }
        result = await self.conn.execute(_INSERT_REVIEW, values)
        return Review(result.scalar_one(), subject, application_id, decision, reason, reviewer, at)

    async def insert_event(
        self,
        account_id: int,
        type: EventType,
        subject: Subject | None,
        payload: dict[str, Any],
        at: float,
    ) -> Event:
        values = {
            "account_id": account_id,
            "type": type.value,
            "subject_kind": subject.kind if subject is not None else None,
            "subject_id": subject.id if subject is not None else None,
            "payload": payload,
            "created_at": at,
        }
        result = await self.conn.execute(_INSERT_EVENT, values)
        return Event(result.scalar_one(), account_id, type, subject, payload, at)


class ReviewReads:
    """Signature, application and event reads of the repository (mixed into SqlRepository)."""

    def _read(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    async def signatures(self, account_id: int, ids: Sequence[int]) -> list[Signature]:
        if not ids:
            return []
        params = {"account_id": account_id, "ids": list(dict.fromkeys(ids))}
        async with self._read() as conn:
            rows = (await conn.execute(_SIGNATURES_BY_ID, params)).all()
        by_id = {row._mapping["id"]: _signature(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

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
        params: dict[str, Any] = {"account_id": account_id, "offset": offset, "limit": limit}
        if international is not None:
            params["international"] = international
        match_name = None
        if name is not None:
            match_name = "exact" if name.exact else "contains"
            if name.exact:
                params["name"] = name.text
            else:
                escaped = name.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                params["name"] = f"%{escaped}%"
        page, total_query = _page_statements(
            international is not None, match_name, limit is not None
        )
        async with self._read() as conn:
            rows = await fetch(conn, page, params)
            total = int((await fetch(conn, total_query, params))[0][0]) if count else -1
        return [_signature(r) for r in rows], total

    async def signature(self, sign_id: int) -> Signature | None:
        async with self._read() as conn:
            row = (await conn.execute(_SIGNATURE, {"id": sign_id})).first()
        return _signature(row) if row else None

    async def signatures_with_status(
        self, statuses: Sequence[Status], limit: int = 500
    ) -> list[Signature]:
        """Oldest submission first: the review queue."""
        c = t.signatures.c
        query = (
            select(t.signatures)
            .where(c.status.in_([s.value for s in statuses]), _LIVE)
            .order_by(c.submitted_at, c.id)
            .limit(limit)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [_signature(r) for r in rows]

    async def applications(self, subject: Subject | int) -> list[Application]:
        """A reviewable's applications, oldest first (an int is a signature's id)."""
        if isinstance(subject, int):
            subject = Subject(SIGNATURE, subject)
        c = t.applications.c
        query = (
            select(t.applications)
            .where(c.subject_kind == subject.kind, c.subject_id == subject.id)
            .order_by(c.id)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Application(
                id=r.id,
                subject=Subject(r.subject_kind, r.subject_id),
                account_id=r.account_id,
                kind=ApplicationKind(r.kind),
                dialect=r.dialect,
                snapshot=r.snapshot,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def events(self, account_id: int | None = None, after: int = 0) -> list[Event]:
        c = t.events.c
        query = select(t.events).where(c.id > after).order_by(c.id)
        if account_id is not None:
            query = query.where(c.account_id == account_id)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [event_of(r) for r in rows]

    async def referenced_digests(self) -> set[str]:
        """Every image digest a signature (deleted ones too) or an application names."""
        s, a = t.signatures.c, t.applications.c
        found: set[str] = set()
        async with self._read() as conn:
            for row in await conn.execute(select(s.proof_images, s.commission_image, s.extra)):
                found.update(digests_in(list(row)))
            for (snapshot,) in await conn.execute(select(a.snapshot)):
                found.update(digests_in(snapshot))
        return found
