"""The SQLAlchemy implementation of the core's repository interfaces.

SQLite (the embedded default) runs in WAL mode with full fsync, and every write
transaction starts with BEGIN IMMEDIATE so two writers never deadlock upgrading a read
lock. PostgreSQL takes row locks with SELECT … FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import orjson
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from smssign.core import errors
from smssign.core.model import (
    Account,
    Application,
    ApplicationKind,
    Certification,
    Credential,
    Dialect,
    Event,
    EventType,
    Qualification,
    QualificationStatus,
    Review,
    Signature,
    Status,
)
from smssign.core.service import NameFilter, NewSignature
from smssign.store import tables as t

DEFAULT_QUOTA = 100


def async_url(url: str) -> str:
    """Accept URLs as users write them and pick the async driver underneath."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str) -> AsyncEngine:
    url = async_url(url)
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite+aiosqlite://"):
        memory = url.endswith(":memory:") or url.endswith("://") or "mode=memory" in url
        if memory:
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine, memory=memory)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: AsyncEngine, *, memory: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how transactions start (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("smssign_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _signature(row: Row[Any]) -> Signature:
    m = row._mapping
    return Signature(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        international=bool(m["international"]),
        sign_type=m["sign_type"],
        document_type=m["document_type"],
        purpose=m["purpose"],
        proof_images=tuple(m["proof_images"]),
        commission_image=m["commission_image"],
        remark=m["remark"],
        qualification_id=m["qualification_id"],
        extra=m["extra"],
        status=Status(m["status"]),
        review_reply=m["review_reply"],
        submitted_at=m["submitted_at"],
        reviewed_at=m["reviewed_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
        application_id=m["application_id"],
    )


def _account(row: Row[Any]) -> Account:
    m = row._mapping
    return Account(
        id=m["id"],
        name=m["name"],
        certification=Certification(m["certification"]),
        arrears=bool(m["arrears"]),
        ip_allow=tuple(m["ip_allow"]),
        signature_quota=m["signature_quota"],
        created_at=m["created_at"],
    )


def _credential(row: Row[Any]) -> Credential:
    m = row._mapping
    return Credential(
        id=m["id"],
        account_id=m["account_id"],
        dialect=Dialect(m["dialect"]),
        key_id=m["key_id"],
        secret=m["secret"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
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


class SqlTransaction:
    """One write transaction; implements the core's Transaction and AccountTransaction."""

    def __init__(self, conn: AsyncConnection, *, row_locks: bool) -> None:
        self.conn = conn
        self.row_locks = row_locks

    # --- signatures -----------------------------------------------------------------

    async def lock_signature(self, sign_id: int, account_id: int | None) -> Signature | None:
        query = select(t.signatures).where(t.signatures.c.id == sign_id, _LIVE)
        if account_id is not None:
            query = query.where(t.signatures.c.account_id == account_id)
        if self.row_locks:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return _signature(row) if row else None

    async def live_named(
        self, account_id: int, name: str, international: bool, exclude_id: int | None
    ) -> Signature | None:
        c = t.signatures.c
        query = select(t.signatures).where(
            c.account_id == account_id,
            c.name == name,
            c.international == international,
            c.status != Status.REJECTED.value,
            _LIVE,
        )
        if exclude_id is not None:
            query = query.where(c.id != exclude_id)
        row = (await self.conn.execute(query.limit(1))).first()
        return _signature(row) if row else None

    async def count_signatures(self, account_id: int) -> int:
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
            result = await self.conn.execute(
                insert(t.signatures).values(**values).returning(t.signatures)
            )
        except IntegrityError as exc:
            raise errors.Conflict("the name was taken concurrently") from exc
        return _signature(result.one())

    async def save_signature(self, signature: Signature, expected_version: int) -> Signature:
        c = t.signatures.c
        try:
            result = await self.conn.execute(
                update(t.signatures)
                .where(c.id == signature.id, c.version == expected_version, _LIVE)
                .values(**_signature_values(signature), version=expected_version + 1)
            )
        except IntegrityError as exc:
            raise errors.Conflict("the name was taken concurrently") from exc
        if result.rowcount != 1:
            raise errors.Conflict(f"signature {signature.id} changed concurrently")
        return replace(signature, version=expected_version + 1)

    async def delete_signature(self, signature: Signature, at: float) -> None:
        c = t.signatures.c
        await self.conn.execute(
            update(t.signatures)
            .where(c.id == signature.id)
            .values(deleted_at=at, updated_at=at, version=c.version + 1)
        )

    async def insert_application(
        self,
        signature: Signature,
        kind: ApplicationKind,
        dialect: str,
        snapshot: dict[str, Any],
        at: float,
    ) -> Application:
        result = await self.conn.execute(
            insert(t.applications)
            .values(
                signature_id=signature.id,
                account_id=signature.account_id,
                kind=kind.value,
                dialect=dialect,
                snapshot=snapshot,
                created_at=at,
            )
            .returning(t.applications.c.id)
        )
        return Application(
            id=result.scalar_one(),
            signature_id=signature.id,
            account_id=signature.account_id,
            kind=kind,
            dialect=dialect,
            snapshot=snapshot,
            created_at=at,
        )

    async def insert_review(
        self, signature: Signature, decision: Status, reason: str, reviewer: str, at: float
    ) -> Review:
        result = await self.conn.execute(
            insert(t.reviews)
            .values(
                signature_id=signature.id,
                application_id=signature.application_id,
                decision=decision.value,
                reason=reason,
                reviewer=reviewer,
                created_at=at,
            )
            .returning(t.reviews.c.id)
        )
        return Review(
            result.scalar_one(),
            signature.id,
            signature.application_id,
            decision,
            reason,
            reviewer,
            at,
        )

    async def insert_event(
        self,
        account_id: int,
        type: EventType,
        signature_id: int | None,
        payload: dict[str, Any],
        at: float,
    ) -> Event:
        result = await self.conn.execute(
            insert(t.events)
            .values(
                account_id=account_id,
                type=type.value,
                signature_id=signature_id,
                payload=payload,
                created_at=at,
            )
            .returning(t.events.c.id)
        )
        return Event(result.scalar_one(), account_id, type, signature_id, payload, at)

    # --- accounts -------------------------------------------------------------------

    async def account(self, account_id: int) -> Account | None:
        query = select(t.accounts).where(t.accounts.c.id == account_id)
        if self.row_locks:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return _account(row) if row else None

    async def insert_account(self, name: str, certification: Certification, at: float) -> Account:
        try:
            result = await self.conn.execute(
                insert(t.accounts)
                .values(
                    name=name,
                    certification=certification.value,
                    arrears=False,
                    ip_allow=[],
                    signature_quota=DEFAULT_QUOTA,
                    created_at=at,
                )
                .returning(t.accounts)
            )
        except IntegrityError as exc:
            raise errors.Conflict(f"an account named {name!r} exists") from exc
        return _account(result.one())

    async def save_account(self, account: Account) -> None:
        await self.conn.execute(
            update(t.accounts)
            .where(t.accounts.c.id == account.id)
            .values(
                certification=account.certification.value,
                arrears=account.arrears,
                ip_allow=list(account.ip_allow),
                signature_quota=account.signature_quota,
            )
        )

    async def insert_credential(
        self, account_id: int, dialect: Dialect, key_id: str, secret: str, at: float
    ) -> Credential:
        result = await self.conn.execute(
            insert(t.credentials)
            .values(
                account_id=account_id,
                dialect=dialect.value,
                key_id=key_id,
                secret=secret,
                created_at=at,
                revoked_at=None,
            )
            .returning(t.credentials.c.id)
        )
        return Credential(result.scalar_one(), account_id, dialect, key_id, secret, at)

    async def revoke_credentials(self, account_id: int, dialect: Dialect, at: float) -> None:
        c = t.credentials.c
        await self.conn.execute(
            update(t.credentials)
            .where(c.account_id == account_id, c.dialect == dialect.value, c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def insert_qualification(
        self, account_id: int, name: str, status: QualificationStatus
    ) -> Qualification:
        result = await self.conn.execute(
            insert(t.qualifications)
            .values(account_id=account_id, name=name, status=status.value)
            .returning(t.qualifications.c.id)
        )
        return Qualification(result.scalar_one(), account_id, name, status)


class SqlRepository:
    """Implements the core's Repository and AccountRepository on one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.row_locks = engine.dialect.name != "sqlite"

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(smssign_write=True)
                async with conn.begin():
                    yield SqlTransaction(conn, row_locks=self.row_locks)
        except (errors.SmssignError, IntegrityError):
            raise
        except DBAPIError as exc:
            raise errors.Unavailable(str(exc.orig)) from exc
        except OSError as exc:
            raise errors.Unavailable(str(exc)) from exc

    account_transaction = transaction

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise errors.Unavailable(str(exc.orig)) from exc
        except OSError as exc:
            raise errors.Unavailable(str(exc)) from exc

    async def authenticate(
        self, dialect: Dialect, key_id: str
    ) -> tuple[Credential, Account] | None:
        c = t.credentials.c
        query = (
            select(t.credentials, t.accounts)
            .join(t.accounts, t.accounts.c.id == c.account_id)
            .where(c.dialect == dialect.value, c.key_id == key_id, c.revoked_at.is_(None))
        )
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        credential = Credential(
            id=m[c.id],
            account_id=m[c.account_id],
            dialect=Dialect(m[c.dialect]),
            key_id=m[c.key_id],
            secret=m[c.secret],
            created_at=m[c.created_at],
            revoked_at=None,
        )
        a = t.accounts.c
        account = Account(
            id=m[a.id],
            name=m[a.name],
            certification=Certification(m[a.certification]),
            arrears=bool(m[a.arrears]),
            ip_allow=tuple(m[a.ip_allow]),
            signature_quota=m[a.signature_quota],
            created_at=m[a.created_at],
        )
        return credential, account

    async def signatures(self, account_id: int, ids: Sequence[int]) -> list[Signature]:
        if not ids:
            return []
        c = t.signatures.c
        query = select(t.signatures).where(
            c.account_id == account_id, c.id.in_(list(dict.fromkeys(ids))), _LIVE
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
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
    ) -> tuple[list[Signature], int]:
        c = t.signatures.c
        where = [c.account_id == account_id, _LIVE]
        if international is not None:
            where.append(c.international == international)
        if name is not None:
            if name.exact:
                where.append(c.name == name.text)
            else:
                escaped = name.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                where.append(c.name.like(f"%{escaped}%", escape="\\"))
        page = select(t.signatures).where(*where).order_by(c.id).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        async with self._read() as conn:
            rows = (await conn.execute(page)).all()
            total = int(
                (
                    await conn.execute(select(func.count()).select_from(t.signatures).where(*where))
                ).scalar_one()
            )
        return [_signature(r) for r in rows], total

    async def signature(self, sign_id: int) -> Signature | None:
        async with self._read() as conn:
            row = (
                await conn.execute(select(t.signatures).where(t.signatures.c.id == sign_id, _LIVE))
            ).first()
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

    async def applications(self, signature_id: int) -> list[Application]:
        c = t.applications.c
        query = select(t.applications).where(c.signature_id == signature_id).order_by(c.id)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Application(
                id=r.id,
                signature_id=r.signature_id,
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
        return [
            Event(r.id, r.account_id, EventType(r.type), r.signature_id, r.payload, r.created_at)
            for r in rows
        ]

    # --- accounts -------------------------------------------------------------------

    async def account(self, account_id: int) -> Account | None:
        async with self._read() as conn:
            row = (
                await conn.execute(select(t.accounts).where(t.accounts.c.id == account_id))
            ).first()
        return _account(row) if row else None

    async def account_named(self, name: str) -> Account | None:
        async with self._read() as conn:
            row = (await conn.execute(select(t.accounts).where(t.accounts.c.name == name))).first()
        return _account(row) if row else None

    async def accounts(self) -> list[Account]:
        async with self._read() as conn:
            rows = (await conn.execute(select(t.accounts).order_by(t.accounts.c.id))).all()
        return [_account(r) for r in rows]

    async def credentials(self, account_id: int) -> list[Credential]:
        c = t.credentials.c
        query = (
            select(t.credentials)
            .where(c.account_id == account_id, c.revoked_at.is_(None))
            .order_by(c.id)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [_credential(r) for r in rows]

    async def qualifications(self, account_id: int) -> list[Qualification]:
        c = t.qualifications.c
        query = select(t.qualifications).where(c.account_id == account_id).order_by(c.id)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Qualification(r.id, r.account_id, r.name, QualificationStatus(r.status)) for r in rows
        ]

    async def ping(self) -> None:
        async with self._read() as conn:
            await conn.execute(select(1))


__all__ = ["SqlRepository", "SqlTransaction", "async_url", "create_engine"]
