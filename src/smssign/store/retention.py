"""Message retention in SQL: old messages, replies and their events and deliveries go.

Mixed into SqlRepository (the core's MessageRepository.prune_messages). One call is one
short write transaction that removes at most `batch` rows of each table, so that pruning
a backlog of millions never holds the single SQLite writer for long: the caller loops,
and other writes get their turn in between.

No index on `created_at` alone is needed (one would cost every send): rows are found
through the indexes that exist, in id order, which is the order they were written in.
Each call looks at the `batch` oldest rows by id (messages, replies), or by subject id
(events of messages and replies, `events_subject`), and removes those older than the
cutoff. An event whose webhook delivery is still pending, or that the dispatcher has not
seen yet, stays until it is done, and a status report that carries several events
(report_items) goes only with the last of them. Events of signatures and templates are
their audit trail and are never pruned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import Column, Table, delete, select

from smssign.core.messages import MESSAGE, REPLY
from smssign.core.ports import Pruned
from smssign.store import tables as t
from smssign.store.sqlite_direct import Executor

_M = t.messages.c
_R = t.replies.c
_E = t.events.c
_D = t.deliveries.c
_A = t.delivery_attempts.c
_I = t.report_items.c
PENDING = "pending"


class MessagePruning:
    """`prune_messages` of the repository."""

    def _write(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    async def prune_messages(self, before: float, batch: int) -> Pruned:
        """Remove up to `batch` messages, replies and message or reply events created
        before `before`, with the events' deliveries and their attempts; one transaction."""
        async with self._write() as conn:
            messages = await _oldest(conn, t.messages, _M.id, _M.created_at, before, batch)
            if messages:
                await conn.execute(delete(t.messages).where(_M.id.in_(messages)))
            replies = await _oldest(conn, t.replies, _R.id, _R.created_at, before, batch)
            if replies:
                await conn.execute(delete(t.replies).where(_R.id.in_(replies)))
            events = 0
            for kind in (MESSAGE, REPLY):
                events += await _prune_events(conn, kind, before, batch)
        return Pruned(len(messages), len(replies), events)


async def _oldest(
    conn: Executor,
    table: Table,
    id_column: Column[Any],
    at: Column[Any],
    before: float,
    batch: int,
) -> list[int]:
    query = select(id_column, at).select_from(table).order_by(id_column).limit(batch)
    rows = (await conn.execute(query)).all()
    return [row.id for row in rows if row.created_at < before]


async def _prune_events(conn: Executor, kind: str, before: float, batch: int) -> int:
    query = (
        select(_E.id, _E.created_at, _E.dispatched_at)
        .where(_E.subject_kind == kind)
        .order_by(_E.subject_id, _E.id)
        .limit(batch)
    )
    rows = (await conn.execute(query)).all()
    old = {row.id for row in rows if row.created_at < before and row.dispatched_at is not None}
    if not old:
        return 0
    # The deliveries that carry these events: a webhook delivery names its one event, a
    # status report (migration 0007) its first, and lists all of them in report_items.
    members: dict[int, set[int]] = {}
    pending: set[int] = set()
    found = await conn.execute(select(_D.id, _D.event_id, _D.status).where(_D.event_id.in_(old)))
    for row in found.all():
        members.setdefault(row.id, set()).add(row.event_id)
        if row.status == PENDING:
            pending.add(row.id)
    items = await conn.execute(select(_I.delivery_id).where(_I.event_id.in_(old)).distinct())
    reports = [row.delivery_id for row in items.all() if row.delivery_id not in members]
    if reports:
        more = await conn.execute(select(_D.id, _D.event_id, _D.status).where(_D.id.in_(reports)))
        for row in more.all():
            members.setdefault(row.id, set()).add(row.event_id)
            if row.status == PENDING:
                pending.add(row.id)
    if members:
        listed = await conn.execute(
            select(_I.delivery_id, _I.event_id).where(_I.delivery_id.in_(list(members)))
        )
        for row in listed.all():
            members[row.delivery_id].add(row.event_id)
    # A report's other events may lie past this batch's window: they go with it when
    # they are as old (and dispatched) as the rest.
    beyond = set().union(*members.values()) - old if members else set()
    if beyond:
        found = await conn.execute(
            select(_E.id, _E.created_at, _E.dispatched_at).where(_E.id.in_(sorted(beyond)))
        )
        old |= {r.id for r in found.all() if r.created_at < before and r.dispatched_at is not None}
    # A delivery goes only once it is done and every event it carries goes with it; the
    # events of one that stays are kept (its log, and its foreign key, name them).
    doomed = [d for d, events in members.items() if d not in pending and events <= old]
    kept: set[int] = set()
    for delivery_id, events in members.items():
        if delivery_id not in doomed:
            kept |= events
    if doomed:
        await conn.execute(delete(t.delivery_attempts).where(_A.delivery_id.in_(doomed)))
        await conn.execute(delete(t.report_items).where(_I.delivery_id.in_(doomed)))
        await conn.execute(delete(t.deliveries).where(_D.id.in_(doomed)))
    gone: Sequence[int] = sorted(old - kept)
    if gone:
        await conn.execute(delete(t.events).where(_E.id.in_(gone)))
    return len(gone)
