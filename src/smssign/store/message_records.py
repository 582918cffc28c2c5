"""Cross-account reads of messages for the console: a bounded search, a message's replies
and today's counts.

Mixed into BackofficeStore, which supplies the connection. Both reads stay cheap on a
table of millions of rows:

- a search by exact number walks the `messages_mobile` index (number, id), newest first;
- every other filter (words of the text, a part of a number, the status, the account)
  needs a look at each row, so it looks only at the newest `SEARCH_WINDOW` message ids: a
  range of the primary key, never the whole table. The page says so.
- today's counts read `messages_account` (account, created_at) for every account from the
  day's start, so they touch today's rows only.

Pages are found by offset with one row more than shown (is there an older page?), never
by counting every match.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from smssign.core.messages import Message, MessageStatus, Reply
from smssign.store import tables as t
from smssign.store.messages import message_of, reply_of

SEARCH_WINDOW = 10_000
"""How many of the newest message ids a search that reads every row looks at."""

_M = t.messages.c


def _like(fragment: str) -> str:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True, slots=True)
class MessageSearch:
    """What the console's message list is filtered by; empty fields match everything.

    `mobile` is a whole E.164 number (indexed); `digits` a part of one (read row by row).
    """

    mobile: str | None = None
    digits: str = ""
    text: str = ""
    status: MessageStatus | None = None
    account_id: int | None = None

    @property
    def reads_every_row(self) -> bool:
        """Whether the search must look at rows one by one (and so stays in the window)."""
        return self.mobile is None and bool(
            self.digits or self.text or self.status or self.account_id is not None
        )


@dataclass(frozen=True, slots=True)
class MessageHits:
    messages: list[Message]
    more: bool
    """An older page exists."""
    windowed: bool
    """Only the newest SEARCH_WINDOW messages were searched."""


class MessageRecords:
    """The reads; `_read` is the store's own connection."""

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    async def message_search(
        self, search: MessageSearch, *, offset: int = 0, limit: int = 50
    ) -> MessageHits:
        """Messages newest first, `limit` of them from `offset`."""
        where: list[ColumnElement[bool]] = []
        if search.mobile is not None:
            where.append(_M.mobile == search.mobile)
        if search.digits:
            where.append(_M.mobile.like(_like(search.digits), escape="\\"))
        if search.text:
            where.append(_M.text.like(_like(search.text), escape="\\"))
        if search.status is not None:
            where.append(_M.status == search.status.value)
        windowed = search.reads_every_row
        if search.account_id is not None:
            # In the window, `+ 0` keeps the planner on the primary key's range: through
            # `messages_account` it would read and sort all of the account's messages.
            column = _M.account_id + 0 if windowed else _M.account_id
            where.append(column == search.account_id)
        async with self._read() as conn:
            if windowed:
                newest = (await conn.execute(select(func.max(_M.id)))).scalar_one_or_none()
                where.append(_M.id > (newest or 0) - SEARCH_WINDOW)
            query = (select(t.messages).where(*where).order_by(_M.id.desc()).offset(offset)).limit(
                limit + 1
            )
            rows = (await conn.execute(query)).all()
        found = [message_of(r) for r in rows]
        return MessageHits(found[:limit], len(found) > limit, windowed)

    async def replies_to(self, message: Message, limit: int = 100) -> list[Reply]:
        """The handset's replies attributed to `message`, oldest first (through the
        `replies_mobile` index: only that number's replies are read)."""
        r = t.replies.c
        query = (
            select(t.replies)
            .where(r.mobile == message.mobile, r.message_id == message.id)
            .order_by(r.id)
            .limit(limit)
        )
        async with self._read() as conn:
            return [reply_of(row) for row in (await conn.execute(query)).all()]

    async def message_counts(self, since: float) -> dict[str, int]:
        """Messages created at or after `since`, by status, and `total`."""
        accounts = select(t.accounts.c.id)
        query = (
            select(_M.status, func.count())
            .where(_M.account_id.in_(accounts), _M.created_at >= since)
            .group_by(_M.status)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        counts = {status.value: 0 for status in MessageStatus}
        counts.update({row[0]: int(row[1]) for row in rows})
        counts["total"] = sum(counts.values())
        return counts


__all__ = ["SEARCH_WINDOW", "MessageHits", "MessageRecords", "MessageSearch"]
