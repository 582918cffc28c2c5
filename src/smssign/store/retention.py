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
seen yet, stays until it is done. Events of signatures and templates are their audit
trail and are never pruned here.
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
    old = [row.id for row in rows if row.created_at < before and row.dispatched_at is not None]
    if not old:
        return 0
    found = await conn.execute(select(_D.id, _D.event_id, _D.status).where(_D.event_id.in_(old)))
    deliveries: list[int] = []
    busy: set[int] = set()
    for row in found.all():
        if row.status == PENDING:
            busy.add(row.event_id)
        else:
            deliveries.append(row.id)
    if deliveries:
        await conn.execute(delete(t.delivery_attempts).where(_A.delivery_id.in_(deliveries)))
        await conn.execute(delete(t.deliveries).where(_D.id.in_(deliveries)))
    events: Sequence[int] = [e for e in old if e not in busy]
    if events:
        await conn.execute(delete(t.events).where(_E.id.in_(events)))
    return len(events)
