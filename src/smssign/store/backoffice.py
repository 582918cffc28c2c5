"""SQL for the back office: server keys, webhooks, deliveries, console reads.

With the operator rows (store/operators.py) it implements `OperatorStore`
(smssign.core.operators), with the report rows (store/reports.py) `ReportStore`
(smssign.core.reports); here `WebhookStore` (smssign.core.deliveries), plus the
cross-account reads the console and the admin API show. Webhook and report deliveries
share the `deliveries` table, the dispatcher and the claims; a webhook delivery reads its
URL and secret from `webhooks` when claimed, a report delivery carries its URL.

Writes go through the same `Database` as the main repository (store/database.py): one
writer per process and one error mapping. PostgreSQL claims due deliveries and
undispatched events with FOR UPDATE SKIP LOCKED, so several server processes can run the
delivery worker on one database. Which events are delivered and how a delivery moves on
are the core's rules (smssign.core.deliveries); here they are only read and written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smssign.core import deliveries as rules
from smssign.core import errors
from smssign.core.deliveries import (
    Attempt,
    Claim,
    Delivery,
    DeliveryState,
    DeliveryStatus,
    Fairness,
    Lease,
    Outcome,
    RetrySchedule,
    Webhook,
)
from smssign.core.model import Event, Subject
from smssign.core.reports import NO_FORMATS, WEBHOOK, Push, ReportFormats
from smssign.store import tables as t
from smssign.store.database import Database
from smssign.store.keyring import MasterKeys
from smssign.store.message_records import MessageRecords
from smssign.store.operators import OperatorRows
from smssign.store.records import MAX_ID, Record, RecordReads, SignatureRecord
from smssign.store.reports import ReportRows, delivery_of
from smssign.store.reviewables import event_of
from smssign.store.sqlite_direct import Executor


def _webhook(row: Row[Any]) -> Webhook:
    m = row._mapping
    return Webhook(
        account_id=m["account_id"],
        url=m["url"],
        secret=m["secret"],
        enabled=bool(m["enabled"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


_delivery = delivery_of


def _attempt(row: Row[Any]) -> Attempt:
    m = row._mapping
    return Attempt(
        id=m["id"],
        delivery_id=m["delivery_id"],
        number=m["number"],
        url=m["url"],
        started_at=m["started_at"],
        duration=m["duration"],
        status_code=m["status_code"],
        error=m["error"],
        response=m["response"],
        delivered=bool(m["delivered"]),
    )


def _event(row: Row[Any]) -> Event:
    return event_of(row)


def _state(row: Row[Any]) -> DeliveryState:
    m = row._mapping
    holder, until = m["leased_by"], m["lease_until"]
    return DeliveryState(
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        lease=Lease(holder, until) if holder is not None and until is not None else None,
        last_status_code=m["last_status_code"],
        last_error=m["last_error"],
        finished_at=m["finished_at"],
    )


def _state_values(state: DeliveryState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "attempts": state.attempts,
        "next_attempt_at": state.next_attempt_at,
        "leased_by": state.lease.holder if state.lease else None,
        "lease_until": state.lease.until if state.lease else None,
        "last_status_code": state.last_status_code,
        "last_error": state.last_error,
        "finished_at": state.finished_at,
    }


_STATE_COLUMNS = (
    t.deliveries.c.id,
    t.deliveries.c.status,
    t.deliveries.c.attempts,
    t.deliveries.c.next_attempt_at,
    t.deliveries.c.leased_by,
    t.deliveries.c.lease_until,
    t.deliveries.c.last_status_code,
    t.deliveries.c.last_error,
    t.deliveries.c.finished_at,
)
# The columns set are the parameters' other keys (those of `_state_values`).
_SAVE_STATE = update(t.deliveries).where(t.deliveries.c.id == bindparam("where_id"))


class BackofficeStore(OperatorRows, ReportRows, RecordReads, MessageRecords):
    """Shares the main repository's Database (its writer), found by engine."""

    def __init__(
        self,
        database: Database | AsyncEngine,
        render_event: Callable[[Event], str],
        formats: ReportFormats = NO_FORMATS,
        pushes: Callable[[Event], Sequence[Push]] = lambda event: (),
        keys: MasterKeys | None = None,
    ) -> None:
        """`formats`: the registered dialects' report formats; without them no status
        report or reply is pushed. `pushes`: the other provider-format callbacks an
        event makes (core.providers.Providers.pushes). `keys`: the master keys that open
        the sealed keys signing pushed replies (the repository's); without them such
        replies are signed with an empty key."""
        self.database = database if isinstance(database, Database) else Database.of(database)
        self.engine = self.database.engine
        self.render_event = render_event
        self.formats = formats
        self.pushes = pushes
        self.keys = keys
        self.row_locks = self.database.row_locks

    def _write(self) -> AbstractAsyncContextManager[Executor]:
        return self.database.write()

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.database.query()

    async def _save_states(
        self, conn: Executor, changes: Sequence[tuple[int, DeliveryState, DeliveryState]]
    ) -> None:
        """Persist each (id, before, after) whose state changed."""
        rows = [
            {"where_id": delivery_id, **_state_values(after)}
            for delivery_id, before, after in changes
            if after != before
        ]
        if rows:
            await conn.execute(_SAVE_STATE, rows)

    # --- keys -----------------------------------------------------------------------

    async def server_key(self, name: str, make: Callable[[], str], at: float) -> str:
        """The named key, created with `make()` by whichever process asks first."""
        query = select(t.server_keys.c.value).where(t.server_keys.c.name == name)
        async with self._read() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        if found is not None:
            return str(found)
        try:
            async with self._write() as conn:
                await conn.execute(
                    insert(t.server_keys).values(name=name, value=make(), created_at=at)
                )
        except IntegrityError:
            pass  # another process made it first; theirs counts
        async with self._read() as conn:
            return str((await conn.execute(query)).scalar_one())

    # --- webhooks -------------------------------------------------------------------

    async def set_webhook(
        self, account_id: int, url: str, secret: str, enabled: bool, at: float
    ) -> Webhook:
        w = t.webhooks.c
        async with self._write() as conn:
            exists = (
                await conn.execute(select(t.accounts.c.id).where(t.accounts.c.id == account_id))
            ).first()
            if exists is None:
                raise errors.AccountNotFound(f"no account {account_id}")
            current = (
                await conn.execute(select(t.webhooks).where(w.account_id == account_id))
            ).first()
            if current is None:
                await conn.execute(
                    insert(t.webhooks).values(
                        account_id=account_id,
                        url=url,
                        secret=secret,
                        enabled=enabled,
                        created_at=at,
                        updated_at=at,
                    )
                )
            else:
                await conn.execute(
                    update(t.webhooks)
                    .where(w.account_id == account_id)
                    .values(url=url, secret=secret, enabled=enabled, updated_at=at)
                )
            row = (await conn.execute(select(t.webhooks).where(w.account_id == account_id))).one()
        return _webhook(row)

    async def webhook(self, account_id: int) -> Webhook | None:
        async with self._read() as conn:
            row = (
                await conn.execute(select(t.webhooks).where(t.webhooks.c.account_id == account_id))
            ).first()
        return _webhook(row) if row else None

    async def remove_webhook(self, account_id: int, at: float) -> bool:
        d = t.deliveries.c
        async with self._write() as conn:
            result = await conn.execute(
                delete(t.webhooks).where(t.webhooks.c.account_id == account_id)
            )
            if result.rowcount == 0:
                return False
            query = select(*_STATE_COLUMNS).where(
                d.account_id == account_id,
                d.status == rules.CLAIMABLE.value,
                d.channel == WEBHOOK,
            )
            if self.row_locks:
                query = query.with_for_update()
            states = [(r.id, _state(r)) for r in (await conn.execute(query)).all()]
            await self._save_states(
                conn, [(i, state, rules.cancelled(state, at)) for i, state in states]
            )
        return True

    async def dispatch_events(self, now: float, limit: int) -> int:
        e = t.events.c
        pending = select(e.id).where(e.dispatched_at.is_(None)).limit(1)
        async with self._read() as conn:
            if (await conn.execute(pending)).first() is None:
                return 0
        async with self._write() as conn:
            query = select(t.events).where(e.dispatched_at.is_(None)).order_by(e.id).limit(limit)
            if self.row_locks:
                query = query.with_for_update(skip_locked=True)
            events = [_event(r) for r in (await conn.execute(query)).all()]
            if not events:
                return 0
            accounts = {event.account_id for event in events}
            hooks = {
                hook.account_id: hook
                for hook in (
                    _webhook(r)
                    for r in (
                        await conn.execute(
                            select(t.webhooks).where(t.webhooks.c.account_id.in_(accounts))
                        )
                    ).all()
                )
            }
            first = _state_values(rules.dispatched(now))
            rows = [
                {
                    "event_id": event.id,
                    "account_id": event.account_id,
                    "signature_id": event.signature_id,
                    "type": event.type.value,
                    "body": self.render_event(event),
                    "created_at": event.created_at,
                    "channel": WEBHOOK,
                    "url": None,
                    **first,
                }
                for event in events
                if rules.dispatches(hooks.get(event.account_id), event.created_at)
            ]
            rows += [
                {
                    "event_id": event.id,
                    "account_id": event.account_id,
                    "signature_id": event.signature_id,
                    "type": event.type.value,
                    "body": push.body,
                    "created_at": event.created_at,
                    "channel": push.channel,
                    "url": push.url,
                    **first,
                }
                for event in events
                for push in self.pushes(event)
            ]
            if rows:
                await conn.execute(insert(t.deliveries), rows)
            await self._dispatch_reports(conn, events, first)
            await conn.execute(
                update(t.events)
                .where(e.id.in_([event.id for event in events]))
                .values(dispatched_at=now)
            )
        return len(events)

    def _due(self, now: float, skip: frozenset[int]) -> Any:
        """The deliveries `rules.is_due` allows: reports, and webhook deliveries of
        accounts with an enabled webhook (whose URL and secret they are sent with)."""
        d = t.deliveries.c
        w = t.webhooks.c
        query = (
            select(
                t.deliveries,
                func.coalesce(d.url, w.url).label("target"),
                func.coalesce(w.secret, "").label("key"),
            )
            .outerjoin(t.webhooks, and_(w.account_id == d.account_id, d.channel == WEBHOOK))
            .where(
                d.status == rules.CLAIMABLE.value,
                d.next_attempt_at <= now,
                or_(d.lease_until.is_(None), d.lease_until < now),
                or_(d.channel != WEBHOOK, w.enabled.is_(True)),
            )
            .order_by(d.next_attempt_at, d.id)
        )
        if skip:
            query = query.where(d.account_id.not_in(sorted(skip)))
        return query

    async def claim_deliveries(
        self,
        worker: str,
        now: float,
        lease: float,
        limit: int,
        *,
        fairness: Fairness | None = None,
    ) -> list[Claim]:
        skip = fairness.full() if fairness is not None else frozenset()
        async with self._read() as conn:
            if (await conn.execute(self._due(now, skip).limit(1))).first() is None:
                return []
        held = rules.lease(worker, now, lease)
        async with self._write() as conn:
            query = self._due(now, skip).limit(limit)
            if self.row_locks:
                query = query.with_for_update(skip_locked=True, of=t.deliveries)
            rows = (await conn.execute(query)).all()
            claims = [Claim(_delivery(r), r._mapping["target"], r._mapping["key"]) for r in rows]
            if fairness is not None:
                claims = fairness.choose(claims)
            if not claims:
                return []
            await conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id.in_([c.delivery.id for c in claims]))
                .values(lease_until=held.until, leased_by=held.holder)
            )
        return claims

    async def record_attempt(
        self,
        claim: Claim,
        worker: str,
        outcome: Outcome,
        schedule: RetrySchedule,
        at: float,
    ) -> None:
        d = t.deliveries.c
        delivery = claim.delivery
        async with self._write() as conn:
            query = select(*_STATE_COLUMNS).where(d.id == delivery.id)
            if self.row_locks:
                query = query.with_for_update()
            row = (await conn.execute(query)).first()
            if row is None:
                return
            before = _state(row)
            after = rules.attempted(before, worker, outcome, schedule, delivery.created_at, at)
            await conn.execute(
                insert(t.delivery_attempts).values(
                    delivery_id=delivery.id,
                    number=after.attempts,
                    url=outcome.url,
                    started_at=outcome.started_at,
                    duration=outcome.duration,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    response=outcome.response,
                    delivered=outcome.delivered,
                )
            )
            await self._save_states(conn, [(delivery.id, before, after)])

    async def release_leases(self, worker: str) -> None:
        d = t.deliveries.c
        async with self._write() as conn:
            query = select(*_STATE_COLUMNS).where(d.leased_by == worker)
            if self.row_locks:
                query = query.with_for_update()
            states = [(r.id, _state(r)) for r in (await conn.execute(query)).all()]
            await self._save_states(
                conn, [(i, state, rules.released(state, worker)) for i, state in states]
            )

    async def lease_holders(self, now: float) -> list[str]:
        d = t.deliveries.c
        query = (
            select(d.leased_by)
            .where(
                d.status == rules.CLAIMABLE.value,
                d.leased_by.is_not(None),
                d.lease_until >= now,
            )
            .distinct()
        )
        async with self._read() as conn:
            return sorted(str(r[0]) for r in (await conn.execute(query)).all())

    async def retry_delivery(self, delivery_id: int, now: float) -> Delivery:
        d = t.deliveries.c
        if not 0 < delivery_id <= MAX_ID:
            raise errors.NotFound(f"no delivery {delivery_id}")
        async with self._write() as conn:
            query = select(t.deliveries).where(d.id == delivery_id)
            if self.row_locks:
                query = query.with_for_update()
            row = (await conn.execute(query)).first()
            if row is None:
                raise errors.NotFound(f"no delivery {delivery_id}")
            hook = (
                await conn.execute(
                    select(t.webhooks.c.account_id).where(
                        t.webhooks.c.account_id == row._mapping["account_id"]
                    )
                )
            ).first()
            before = _state(row)
            # A report carries its own URL: it needs no webhook.
            has_target = hook is not None or row._mapping["channel"] != WEBHOOK
            after = rules.retried(before, now, has_webhook=has_target)
            await self._save_states(conn, [(delivery_id, before, after)])
            row = (await conn.execute(select(t.deliveries).where(d.id == delivery_id))).one()
        return _delivery(row)

    async def delivery(self, delivery_id: int) -> Delivery | None:
        if not 0 < delivery_id <= MAX_ID:
            return None
        async with self._read() as conn:
            row = (
                await conn.execute(select(t.deliveries).where(t.deliveries.c.id == delivery_id))
            ).first()
        return _delivery(row) if row else None

    async def deliveries(
        self,
        *,
        account_id: int | None = None,
        signature_id: int | None = None,
        status: DeliveryStatus | None = None,
        offset: int = 0,
        limit: int = 50,
        channel: str | None = WEBHOOK,
    ) -> list[Delivery]:
        d = t.deliveries.c
        query = select(t.deliveries).order_by(d.id.desc()).offset(offset).limit(limit)
        if channel is not None:
            query = query.where(d.channel == channel)
        if account_id is not None:
            query = query.where(d.account_id == account_id)
        if signature_id is not None:
            query = query.where(d.signature_id == signature_id)
        if status is not None:
            query = query.where(d.status == status.value)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [_delivery(r) for r in rows]

    async def attempts(self, delivery_id: int) -> list[Attempt]:
        a = t.delivery_attempts.c
        query = select(t.delivery_attempts).where(a.delivery_id == delivery_id).order_by(a.id)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [_attempt(r) for r in rows]

    async def delivery_counts(self, account_id: int | None = None) -> dict[str, int]:
        d = t.deliveries.c
        query = select(d.status, func.count()).where(d.channel == WEBHOOK).group_by(d.status)
        if account_id is not None:
            query = query.where(d.account_id == account_id)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        counts = {status.value: 0 for status in DeliveryStatus}
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts

    # --- console reads: see store/records.py ---------------------------------------

    async def subject_deliveries(self, subject: Subject, limit: int = 500) -> list[Delivery]:
        """The deliveries of a reviewable's events (to its webhook, and its provider's
        pushes such as a review callback), newest first."""
        d, e = t.deliveries.c, t.events.c
        query = (
            select(t.deliveries)
            .join(t.events, e.id == d.event_id)
            .where(e.subject_kind == subject.kind, e.subject_id == subject.id)
            .order_by(d.id.desc())
            .limit(limit)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [_delivery(r) for r in rows]


__all__ = ["BackofficeStore", "Record", "SignatureRecord"]
