"""SQL of messages, replies and outcome rules (migration 0006).

`MessageWrites` is mixed into SqlTransaction (the core's MessageTransaction),
`MessageReads` into SqlRepository (MessageRepository). The indexes the reads rely on:
`messages_mobile` (latest for a number), `messages_provider_id`, `messages_account`
(an account's messages by time), `messages_account_mobile` (frequency limits),
`messages_due` (simulated delivery) and `messages_unpulled` (the pull queues).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from smssign.core import errors
from smssign.core.messages import Message, MessageStatus, OutcomeRule, Reply, Sent
from smssign.core.model import Signature, Status, Template, TemplateType
from smssign.core.ports import Decision, MessageFilter, NewEvent, NewMessage, SendingSettings
from smssign.store import tables as t
from smssign.store.reviewables import _signature as signature_of
from smssign.store.sqlite_direct import Executor, fetch
from smssign.store.templates import template_of

_STATUS = {status.value: status for status in MessageStatus}
MOST_COUNTED = 10_000
"""The inbox's `total` counts this many matching messages at most."""
_TYPE = {kind.value: kind for kind in TemplateType}
_M = t.messages.c
_R = t.replies.c


_MESSAGE = {name: index for index, name in enumerate(t.messages.c.keys())}


def message_of(row: Sequence[Any]) -> Message:
    """A row of `select(t.messages)` (or RETURNING it), read by position."""
    v, i = tuple(row), _MESSAGE
    params = v[i["params"]]
    template_type = v[i["template_type"]]
    return Message(
        id=v[i["id"]],
        account_id=v[i["account_id"]],
        dialect=v[i["dialect"]],
        mobile=v[i["mobile"]],
        sign=v[i["sign"]],
        signature_id=v[i["signature_id"]],
        template_id=v[i["template_id"]],
        template_type=_TYPE.get(template_type) if template_type else None,
        params=dict(params) if isinstance(params, dict) else tuple(params),
        text=v[i["text"]],
        parts=v[i["parts"]],
        fee=v[i["fee"]],
        provider_message_id=v[i["provider_message_id"]],
        session=v[i["session"]],
        extend=v[i["extend"]],
        status=_STATUS[v[i["status"]]],
        error_code=v[i["error_code"]],
        created_at=v[i["created_at"]],
        reported_at=v[i["reported_at"]],
        due_at=v[i["due_at"]],
        pulled_at=v[i["pulled_at"]],
        callback_url=v[i["callback_url"]],
    )


def reply_of(row: Row[Any]) -> Reply:
    m = row._mapping
    return Reply(
        id=m["id"],
        account_id=m["account_id"],
        dialect=m["dialect"],
        mobile=m["mobile"],
        text=m["text"],
        sign=m["sign"],
        extend=m["extend"],
        message_id=m["message_id"],
        created_at=m["created_at"],
        pulled_at=m["pulled_at"],
    )


def rule_of(row: Row[Any]) -> OutcomeRule:
    m = row._mapping
    return OutcomeRule(
        id=m["id"],
        pattern=m["pattern"],
        status=_STATUS[m["status"]],
        error_code=m["error_code"],
        account_id=m["account_id"],
        description=m["description"],
    )


# The statements of every send, built once with bound parameters: SQLAlchemy memoizes a
# statement's cache key on the object, so a prebuilt one skips construction and key
# generation, which cost more than these indexed queries (see store/repository.py).
_A = t.accounts.c
_LOCK_SENDING = {
    locks: (q.with_for_update() if locks else q)
    for locks in (False, True)
    for q in [select(_A.balance, _A.frequency_limits).where(_A.id == bindparam("account_id"))]
}
_SET_BALANCE = (
    update(t.accounts)
    .where(_A.id == bindparam("account_id"))
    .values(balance=bindparam("new_balance"))
)
_S = t.signatures.c
_APPROVED_SIGNATURE = (
    select(t.signatures)
    .where(
        _S.account_id == bindparam("account_id"),
        _S.name == bindparam("name"),
        _S.international == bindparam("international"),
        _S.status == Status.APPROVED.value,
        _S.deleted_at.is_(None),
    )
    .limit(1)
)
_T = t.templates.c
_TEMPLATE = select(t.templates).where(
    _T.id == bindparam("template_id"),
    _T.account_id == bindparam("account_id"),
    _T.deleted_at.is_(None),
)
_SENT_SINCE = select(_M.created_at, _M.text, _M.template_type).where(
    _M.account_id == bindparam("account_id"),
    _M.mobile == bindparam("mobile"),
    _M.created_at > bindparam("since"),
)
# Bounded (at most the quota's count rows) on the messages_account index; `>=` because a
# message at the window's first instant (midnight) belongs to the new day or month.
_SENT_BY_ACCOUNT: Select[Any] = (
    select(literal_column("1"))
    .select_from(t.messages)
    .where(_M.account_id == bindparam("account_id"), _M.created_at >= bindparam("since"))
    .limit(bindparam("most"))
)
_LATEST = select(t.messages).where(_M.mobile == bindparam("mobile")).order_by(_M.id.desc()).limit(1)
_NEXT_DUE = select(func.min(_M.due_at)).where(_M.due_at.is_not(None))
_MESSAGE_BY_ID = select(t.messages).where(_M.id == bindparam("message_id"))
_PULLED = (
    update(t.messages).where(_M.id == bindparam("message_id")).values(pulled_at=bindparam("at"))
)


@cache
def _pull_reports(dialects: tuple[str, ...], row_locks: bool) -> Select[Any]:
    """The report queue of one account for these dialects (one statement per set)."""
    query = (
        select(t.messages)
        .where(
            _M.account_id == bindparam("account_id"),
            _M.reported_at.is_not(None),
            _M.pulled_at.is_(None),
            or_(*(_M.dialect == dialect for dialect in dialects)),
        )
        .order_by(_M.reported_at, _M.id)
        .limit(bindparam("most"))
    )
    return query.with_for_update(skip_locked=True) if row_locks else query


_DUE = {
    locks: (q.with_for_update(skip_locked=True) if locks else q)
    for locks in (False, True)
    for q in [
        select(t.messages)
        .where(_M.due_at.is_not(None), _M.due_at <= bindparam("now"))
        .order_by(_M.due_at, _M.id)
        .limit(bindparam("most"))
    ]
}
_DECIDE = (
    update(t.messages)
    .where(_M.id == bindparam("message_id"))
    .values(
        due_at=None,
        status=bindparam("new_status"),
        error_code=bindparam("code"),
        reported_at=bindparam("at"),
        pulled_at=None,
    )
)
_HOLD = update(t.messages).where(_M.id == bindparam("message_id")).values(due_at=None)
_INSERT_MESSAGES = insert(t.messages).returning(_M.id, sort_by_parameter_order=True)
_INSERT_MESSAGES_PLAIN = insert(t.messages)
_LAST_ROWID = select(func.last_insert_rowid())
_INSERT_EVENTS = insert(t.events)


def _new_row(n: NewMessage) -> dict[str, Any]:
    return {
        "account_id": n.account_id,
        "dialect": n.dialect,
        "mobile": n.mobile,
        "sign": n.sign,
        "signature_id": n.signature_id,
        "template_id": n.template_id,
        "template_type": n.template_type.value if n.template_type else None,
        "params": dict(n.params) if isinstance(n.params, Mapping) else list(n.params),
        "text": n.text,
        "parts": n.parts,
        "fee": n.fee,
        "provider_message_id": n.provider_message_id,
        "session": n.session,
        "extend": n.extend,
        "status": MessageStatus.PENDING.value,
        "error_code": None,
        "created_at": n.created_at,
        "reported_at": None,
        "due_at": n.due_at,
        "pulled_at": None,
        "callback_url": n.callback_url,
    }


def _stored(n: NewMessage, message_id: int) -> Message:
    """The message as `_new_row` stored it, without reading it back."""
    return Message(
        id=message_id,
        account_id=n.account_id,
        dialect=n.dialect,
        mobile=n.mobile,
        sign=n.sign,
        signature_id=n.signature_id,
        template_id=n.template_id,
        template_type=n.template_type,
        params=dict(n.params) if isinstance(n.params, Mapping) else tuple(n.params),
        text=n.text,
        parts=n.parts,
        fee=n.fee,
        provider_message_id=n.provider_message_id,
        session=n.session,
        extend=n.extend,
        status=MessageStatus.PENDING,
        error_code=None,
        created_at=n.created_at,
        reported_at=None,
        due_at=n.due_at,
        pulled_at=None,
        callback_url=n.callback_url,
    )


class MessageWrites:
    """Sending, delivery and reply writes of one transaction (mixed into SqlTransaction)."""

    conn: Executor
    row_locks: bool

    async def lock_sending(self, account_id: int) -> SendingSettings:
        query = _LOCK_SENDING[self.row_locks]
        rows = await fetch(self.conn, query, {"account_id": account_id})
        if not rows:
            raise errors.AccountNotFound()
        balance, limits = rows[0]
        return SendingSettings(int(balance), dict(limits or {}))

    async def set_balance(self, account_id: int, balance: int) -> None:
        await self.conn.execute(_SET_BALANCE, {"account_id": account_id, "new_balance": balance})

    async def approved_signature(
        self, account_id: int, name: str, international: bool
    ) -> Signature | None:
        params = {"account_id": account_id, "name": name, "international": international}
        rows = await fetch(self.conn, _APPROVED_SIGNATURE, params)
        return signature_of(rows[0]) if rows else None

    async def template(self, account_id: int, template_id: int) -> Template | None:
        params = {"account_id": account_id, "template_id": template_id}
        rows = await fetch(self.conn, _TEMPLATE, params)
        return template_of(rows[0]) if rows else None

    async def templates_of(self, account_id: int) -> list[Template]:
        c = t.templates.c
        query = (
            select(t.templates)
            .where(c.account_id == account_id, c.deleted_at.is_(None))
            .order_by(c.id)
        )
        return [template_of(r) for r in (await self.conn.execute(query)).all()]

    async def sent_since(self, account_id: int, mobile: str, since: float) -> list[Sent]:
        params = {"account_id": account_id, "mobile": mobile, "since": since}
        rows = await fetch(self.conn, _SENT_SINCE, params)
        return [Sent(at, text, _TYPE.get(kind or "")) for at, text, kind in rows]

    async def count_sent_since(self, account_id: int, since: float, most: int) -> int:
        params = {"account_id": account_id, "since": since, "most": most}
        return len(await fetch(self.conn, _SENT_BY_ACCOUNT, params))

    async def insert_messages(self, new: Sequence[NewMessage]) -> list[Message]:
        rows = [_new_row(n) for n in new]
        # Everything of a new message but its id is known, so nothing is read back.
        if self.row_locks:
            # PostgreSQL: multi-row VALUES with RETURNING, ids in parameter order.
            result = await self.conn.execute(_INSERT_MESSAGES, rows)
            ids = [row[0] for row in result.all()]
        else:
            # SQLite: one executemany. This transaction holds the only write lock and the
            # id is a plain INTEGER PRIMARY KEY (max + 1 for each row), so the rows got
            # the ids that end at last_insert_rowid(), in order. (SQLAlchemy would run
            # an INSERT … RETURNING per row to keep parameter order on SQLite.)
            await self.conn.execute(_INSERT_MESSAGES_PLAIN, rows)
            last = (await self.conn.execute(_LAST_ROWID)).scalar_one()
            ids = list(range(last - len(rows) + 1, last + 1))
        return [_stored(n, message_id) for n, message_id in zip(new, ids, strict=True)]

    async def insert_events(self, events: Sequence[NewEvent], at: float) -> None:
        rows = [
            {
                "account_id": account_id,
                "type": type.value,
                "subject_kind": subject.kind,
                "subject_id": subject.id,
                "payload": payload,
                "created_at": at,
            }
            for account_id, type, subject, payload in events
        ]
        if rows:
            await self.conn.execute(_INSERT_EVENTS, rows)

    async def lock_message(self, message_id: int) -> Message | None:
        query = select(t.messages).where(_M.id == message_id)
        if self.row_locks:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return message_of(row) if row else None

    async def due_messages(self, now: float, limit: int) -> list[Message]:
        query = _DUE[self.row_locks]
        rows = await fetch(self.conn, query, {"now": now, "most": limit})
        return [message_of(r) for r in rows]

    async def reports(self, outcomes: Sequence[Decision], at: float) -> list[Message]:
        decided = [
            {"message_id": m.id, "new_status": status.value, "code": code, "at": at}
            for m, status, code in outcomes
            if status is not MessageStatus.PENDING
        ]
        held = [
            {"message_id": m.id} for m, status, _ in outcomes if status is MessageStatus.PENDING
        ]
        if decided:
            await self.conn.execute(_DECIDE, decided)
        if held:
            await self.conn.execute(_HOLD, held)
        return [
            replace(m, due_at=None)
            if status is MessageStatus.PENDING
            else replace(
                m, due_at=None, status=status, error_code=code, reported_at=at, pulled_at=None
            )
            for m, status, code in outcomes
        ]

    async def report(
        self, message_id: int, status: MessageStatus, error_code: str | None, at: float
    ) -> Message:
        values: dict[str, Any] = {"due_at": None}
        if status is not MessageStatus.PENDING:
            values.update(
                status=status.value, error_code=error_code, reported_at=at, pulled_at=None
            )
        result = await self.conn.execute(
            update(t.messages).where(_M.id == message_id).values(**values).returning(t.messages)
        )
        return message_of(result.one())

    async def outcome_rules(self) -> list[OutcomeRule]:
        rows = await self.conn.execute(select(t.outcome_rules).order_by(t.outcome_rules.c.id))
        return [rule_of(r) for r in rows.all()]

    async def insert_reply(
        self,
        account_id: int,
        dialect: str,
        mobile: str,
        text: str,
        sign: str,
        extend: str,
        message_id: int | None,
        at: float,
    ) -> Reply:
        result = await self.conn.execute(
            insert(t.replies)
            .values(
                account_id=account_id,
                dialect=dialect,
                mobile=mobile,
                text=text,
                sign=sign,
                extend=extend,
                message_id=message_id,
                created_at=at,
                pulled_at=None,
            )
            .returning(t.replies)
        )
        return reply_of(result.one())

    async def latest_to(self, account_id: int | None, mobile: str) -> Message | None:
        query = select(t.messages).where(_M.mobile == mobile)
        if account_id is not None:
            query = query.where(_M.account_id == account_id)
        row = (await self.conn.execute(query.order_by(_M.id.desc()).limit(1))).first()
        return message_of(row) if row else None

    async def pull_reports(
        self, account_id: int, dialects: Sequence[str], limit: int, at: float
    ) -> list[Message]:
        query = _pull_reports(tuple(dialects), self.row_locks)
        params = {"account_id": account_id, "most": limit}
        found = [message_of(r) for r in await fetch(self.conn, query, params)]
        if found:
            await self.conn.execute(_PULLED, [{"message_id": m.id, "at": at} for m in found])
        return found

    async def pull_replies(
        self, account_id: int, dialects: Sequence[str], limit: int, at: float
    ) -> list[Reply]:
        query = (
            select(t.replies)
            .where(
                _R.account_id == account_id,
                _R.pulled_at.is_(None),
                _R.dialect.in_(list(dialects)),
            )
            .order_by(_R.id)
            .limit(limit)
        )
        if self.row_locks:
            query = query.with_for_update(skip_locked=True)
        found = [reply_of(r) for r in (await self.conn.execute(query)).all()]
        if found:
            await self.conn.execute(
                update(t.replies).where(_R.id.in_([r.id for r in found])).values(pulled_at=at)
            )
        return found


def _filters(where: MessageFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if where.mobile is not None:
        found.append(_M.mobile == where.mobile)
    if where.account_id is not None:
        found.append(_M.account_id == where.account_id)
    if where.dialect is not None:
        found.append(_M.dialect == where.dialect)
    if where.status is not None:
        found.append(_M.status == where.status.value)
    return found


class MessageReads:
    """Message, reply and rule reads and the inbox's writes (mixed into SqlRepository)."""

    def _read(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    def _write(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    async def message(self, message_id: int) -> Message | None:
        async with self._read() as conn:
            rows = await fetch(conn, _MESSAGE_BY_ID, {"message_id": message_id})
        return message_of(rows[0]) if rows else None

    async def message_page(
        self, where: MessageFilter, *, limit: int, offset: int = 0
    ) -> tuple[list[Message], int]:
        filters = _filters(where)
        page = select(t.messages).where(*filters).order_by(_M.id.desc()).offset(offset).limit(limit)
        # Counted up to a bound: a count(*) over ten million rows per inbox read would be
        # a full scan (a second of the event loop); past the bound the total reads as it.
        matching = select(_M.id).where(*filters).limit(MOST_COUNTED).subquery()
        total = select(func.count()).select_from(matching)
        async with self._read() as conn:
            rows = (await conn.execute(page)).all()
            count = int((await conn.execute(total)).scalar_one())
        return [message_of(r) for r in rows], count

    async def has_reports(self, account_id: int, dialects: Sequence[str]) -> bool:
        query = _pull_reports(tuple(dialects), False)
        async with self._read() as conn:
            rows = await fetch(conn, query, {"account_id": account_id, "most": 1})
        return bool(rows)

    async def latest_message(self, mobile: str) -> Message | None:
        async with self._read() as conn:
            rows = await fetch(conn, _LATEST, {"mobile": mobile})
        return message_of(rows[0]) if rows else None

    async def messages_by_provider_id(
        self, account_id: int, provider_message_id: str
    ) -> list[Message]:
        query = (
            select(t.messages)
            .where(_M.provider_message_id == provider_message_id, _M.account_id == account_id)
            .order_by(_M.id)
        )
        async with self._read() as conn:
            return [message_of(r) for r in (await conn.execute(query)).all()]

    async def reports_for(
        self,
        account_id: int,
        dialects: Sequence[str],
        mobile: str,
        since: float,
        until: float | None,
        limit: int,
    ) -> list[Message]:
        query = select(t.messages).where(
            _M.account_id == account_id,
            _M.mobile == mobile,
            _M.dialect.in_(list(dialects)),
            _M.reported_at.is_not(None),
            _M.created_at >= since,
        )
        if until is not None:
            query = query.where(_M.created_at <= until)
        query = query.order_by(_M.created_at, _M.id).limit(limit)
        async with self._read() as conn:
            return [message_of(r) for r in (await conn.execute(query)).all()]

    async def replies_for(
        self,
        account_id: int,
        dialects: Sequence[str],
        mobile: str,
        since: float,
        until: float | None,
        limit: int,
    ) -> list[Reply]:
        query = select(t.replies).where(
            _R.account_id == account_id,
            _R.mobile == mobile,
            _R.dialect.in_(list(dialects)),
            _R.created_at >= since,
        )
        if until is not None:
            query = query.where(_R.created_at <= until)
        query = query.order_by(_R.id).limit(limit)
        async with self._read() as conn:
            return [reply_of(r) for r in (await conn.execute(query)).all()]

    async def replies(self, account_id: int | None = None, limit: int = 100) -> list[Reply]:
        query = select(t.replies)
        if account_id is not None:
            query = query.where(_R.account_id == account_id)
        query = query.order_by(_R.id.desc()).limit(limit)
        async with self._read() as conn:
            return [reply_of(r) for r in (await conn.execute(query)).all()]

    async def delete_messages(self, account_id: int | None, mobile: str | None) -> int:
        messages = delete(t.messages)
        replies = delete(t.replies)
        if account_id is not None:
            messages = messages.where(_M.account_id == account_id)
            replies = replies.where(_R.account_id == account_id)
        if mobile is not None:
            messages = messages.where(_M.mobile == mobile)
            replies = replies.where(_R.mobile == mobile)
        async with self._write() as conn:
            gone = (await conn.execute(messages)).rowcount
            await conn.execute(replies)
        return int(gone or 0)

    async def sending_settings(self, account_id: int) -> SendingSettings | None:
        a = t.accounts.c
        query = select(a.balance, a.frequency_limits).where(a.id == account_id)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return SendingSettings(int(row.balance), dict(row.frequency_limits or {}))

    async def change_sending(
        self, account_id: int, *, balance: int | None, frequency: Mapping[str, int] | None
    ) -> SendingSettings:
        a = t.accounts.c
        async with self._write() as conn:
            row = (
                await conn.execute(select(a.balance, a.frequency_limits).where(a.id == account_id))
            ).first()
            if row is None:
                raise errors.AccountNotFound()
            limits = dict(row.frequency_limits or {})
            limits.update(frequency or {})
            new_balance = int(row.balance) if balance is None else balance
            await conn.execute(
                update(t.accounts)
                .where(a.id == account_id)
                .values(balance=new_balance, frequency_limits=limits)
            )
        return SendingSettings(new_balance, limits)

    async def list_outcome_rules(self) -> list[OutcomeRule]:
        async with self._read() as conn:
            rows = await conn.execute(select(t.outcome_rules).order_by(t.outcome_rules.c.id))
            return [rule_of(r) for r in rows.all()]

    async def add_outcome_rule(
        self,
        pattern: str,
        status: MessageStatus,
        error_code: str | None,
        account_id: int | None,
        description: str,
    ) -> OutcomeRule:
        async with self._write() as conn:
            if account_id is not None:
                found = await conn.execute(
                    select(t.accounts.c.id).where(t.accounts.c.id == account_id)
                )
                if found.first() is None:
                    raise errors.AccountNotFound()
            result = await conn.execute(
                insert(t.outcome_rules)
                .values(
                    pattern=pattern,
                    status=status.value,
                    error_code=error_code,
                    account_id=account_id,
                    description=description,
                    created_at=0.0,
                )
                .returning(t.outcome_rules)
            )
            return rule_of(result.one())

    async def remove_outcome_rule(self, rule_id: int) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                delete(t.outcome_rules).where(t.outcome_rules.c.id == rule_id)
            )
        return bool(result.rowcount)

    async def next_due(self) -> float | None:
        async with self._read() as conn:
            rows = await fetch(conn, _NEXT_DUE)
        value = rows[0][0] if rows else None
        return None if value is None else float(value)
