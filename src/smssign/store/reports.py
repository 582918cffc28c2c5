"""SQL of report callbacks: the URLs per account and format, and report deliveries.

Mixed into BackofficeStore (store/backoffice.py), which implements `ReportStore`
(smssign.core.reports) with it. A report delivery is a row of `deliveries` whose
`channel` is its format's name and whose `url` is fixed when it is planned; the messages
and replies it carries are its `report_items`, so a message's deliveries are one indexed
join (`report_items_subject`). Which events become which deliveries is the core's rule
(`reports.plan`); here the plan is only written, in the dispatcher's transaction.

A format that signs replies with an account's key (`signed_with`) gets the sealed copy
of that account's active key opened here, for the replies of that batch only; without
master keys, or without a copy (a key issued before copies were kept), it gets "".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from smssign.core import errors
from smssign.core import reports as rules
from smssign.core.deliveries import Delivery, DeliveryStatus
from smssign.core.messages import MESSAGE, REPLY
from smssign.core.model import Event, EventType
from smssign.core.reports import Callbacks, ReportFormats
from smssign.store import tables as t
from smssign.store.keyring import MasterKeyError, MasterKeys, key_context
from smssign.store.sqlite_direct import Executor

log = logging.getLogger(__name__)

_C = t.callbacks.c


def callbacks_of(row: Row[Any]) -> Callbacks:
    m = row._mapping
    return Callbacks(
        account_id=m["account_id"],
        provider=m["provider"],
        status_url=m["status_url"],
        reply_url=m["reply_url"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def delivery_of(row: Row[Any]) -> Delivery:
    m = row._mapping
    return Delivery(
        id=m["id"],
        event_id=m["event_id"],
        account_id=m["account_id"],
        signature_id=m["signature_id"],
        type=m["type"],
        body=m["body"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        last_status_code=m["last_status_code"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        finished_at=m["finished_at"],
        channel=m["channel"],
        url=m["url"],
    )


class ReportRows:
    """Callback URLs and report deliveries (mixed into BackofficeStore)."""

    formats: ReportFormats
    keys: MasterKeys | None
    row_locks: bool

    def _write(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    async def set_callbacks(
        self,
        account_id: int,
        provider: str,
        status_url: str | None,
        reply_url: str | None,
        at: float,
    ) -> Callbacks:
        where = (_C.account_id == account_id, _C.provider == provider)
        async with self._write() as conn:
            exists = await conn.execute(
                select(t.accounts.c.id).where(t.accounts.c.id == account_id)
            )
            if exists.first() is None:
                raise errors.AccountNotFound(f"no account {account_id}")
            current = (await conn.execute(select(t.callbacks).where(*where))).first()
            values = {"status_url": status_url, "reply_url": reply_url, "updated_at": at}
            if current is None:
                await conn.execute(
                    insert(t.callbacks).values(
                        account_id=account_id, provider=provider, created_at=at, **values
                    )
                )
            else:
                await conn.execute(update(t.callbacks).where(*where).values(**values))
            row = (await conn.execute(select(t.callbacks).where(*where))).one()
        return callbacks_of(row)

    async def callbacks(self, account_id: int) -> list[Callbacks]:
        query = select(t.callbacks).where(_C.account_id == account_id).order_by(_C.provider)
        async with self._read() as conn:
            return [callbacks_of(r) for r in (await conn.execute(query)).all()]

    async def remove_callbacks(self, account_id: int, provider: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                delete(t.callbacks).where(_C.account_id == account_id, _C.provider == provider)
            )
        return bool(result.rowcount)

    async def _subject_deliveries(self, kind: str, subject_id: int) -> list[Delivery]:
        d, r = t.deliveries.c, t.report_items.c
        query = (
            select(t.deliveries)
            .join(t.report_items, r.delivery_id == d.id)
            .where(r.subject_kind == kind, r.subject_id == subject_id)
            .order_by(d.id)
        )
        async with self._read() as conn:
            return [delivery_of(row) for row in (await conn.execute(query)).all()]

    async def report_deliveries(self, message_id: int) -> list[Delivery]:
        return await self._subject_deliveries(MESSAGE, message_id)

    async def reply_deliveries(self, reply_id: int) -> list[Delivery]:
        return await self._subject_deliveries(REPLY, reply_id)

    async def _dispatch_reports(
        self, conn: Executor, events: Sequence[Event], first: dict[str, Any]
    ) -> None:
        """Write the report deliveries `events` make (`first` is a new delivery's state)."""
        if not self.formats.names:
            return
        accounts = sorted({event.account_id for event in events})
        rows = (await conn.execute(select(t.callbacks).where(_C.account_id.in_(accounts)))).all()
        urls = {(c.account_id, c.provider): c for c in map(callbacks_of, rows)}
        signing = await self._signing_keys(conn, events, urls)
        for report in rules.plan(events, urls, self.formats, signing):
            created = next(e for e in events if e.id == report.events[0]).created_at
            inserted = await conn.execute(
                insert(t.deliveries)
                .values(
                    event_id=report.events[0],
                    account_id=report.account_id,
                    signature_id=None,
                    type=report.type,
                    body=report.body,
                    created_at=created,
                    channel=report.channel,
                    url=report.url,
                    **first,
                )
                .returning(t.deliveries.c.id)
            )
            delivery_id = inserted.scalar_one()
            await conn.execute(
                insert(t.report_items),
                [
                    {
                        "delivery_id": delivery_id,
                        "event_id": event_id,
                        "subject_kind": subject.kind,
                        "subject_id": subject.id,
                    }
                    for event_id, subject in zip(report.events, report.subjects, strict=True)
                ],
            )

    async def _signing_keys(
        self,
        conn: Executor,
        events: Sequence[Event],
        urls: dict[tuple[int, str], Callbacks],
    ) -> dict[tuple[int, str], str]:
        """The keys that sign the replies among `events`, by (account id, kind): each
        account's active key of a `signed_with` kind, opened from its sealed copy, for
        accounts with a reply URL of such a format only (nothing is opened for nothing)."""
        kinds = self.formats.signing_kinds
        if not kinds or self.keys is None:
            return {}
        signers = {f.name for f in self.formats if f.signed_with}
        replied = {a for (a, name), u in urls.items() if u.reply_url and name in signers}
        accounts = sorted(
            {
                event.account_id
                for event in events
                if event.type is EventType.REPLY_RECEIVED and event.account_id in replied
            }
        )
        if not accounts:
            return {}
        c = t.credentials.c
        query = (
            select(c.account_id, c.dialect, c.key_id, c.sealed_key)
            .where(
                c.account_id.in_(accounts),
                c.dialect.in_(kinds),
                c.revoked_at.is_(None),
                c.sealed_key != "",
            )
            .order_by(c.id)
        )
        found: dict[tuple[int, str], str] = {}
        for row in (await conn.execute(query)).all():
            m = row._mapping
            try:
                found[(m["account_id"], m["dialect"])] = self.keys.unseal(
                    m["sealed_key"], key_context(m["dialect"], m["key_id"])
                )
            except MasterKeyError as exc:
                # Signed with no key rather than holding up every delivery behind it.
                log.warning("reply push of account %s unsigned: %s", m["account_id"], exc)
        return found


__all__ = ["ReportRows", "callbacks_of", "delivery_of"]
