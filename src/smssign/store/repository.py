"""The SQLAlchemy implementation of the core's repository interfaces.

SQLite (the embedded default) runs in WAL mode with full fsync, and every write
transaction starts with BEGIN IMMEDIATE so two writers never deadlock upgrading a read
lock. For a SQLite file the repository's own reads and writes skip aiosqlite's thread
round trips (see store/sqlite_direct.py). PostgreSQL takes row locks with SELECT … FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any

import orjson
from sqlalchemy import Select, and_, bindparam, event, func, insert, not_, or_, select, update
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from smssign.core import errors
from smssign.core.model import (
    Account,
    Application,
    ApplicationKind,
    Certification,
    Credential,
    Event,
    EventType,
    Qualification,
    QualificationStatus,
    Review,
    Signature,
    Status,
)
from smssign.core.providers import DIGEST_PREFIX, CredentialKind, is_key_digest
from smssign.core.service import NameFilter, NewSignature
from smssign.store import tables as t
from smssign.store.keyring import (
    SEALED_PREFIX,
    MasterKey,
    MasterKeyError,
    MasterKeys,
    sealed_key_id,
    secret_context,
)
from smssign.store.sqlite_direct import BUSY_TIMEOUT_MS, Executor, SqliteDirect

DEFAULT_QUOTA = 100


@dataclass(frozen=True, slots=True)
class Resealed:
    """What a pass over the stored credentials did (see `reseal_credentials`)."""

    sealed: int
    """Secrets sealed anew under the current master key."""
    hashed: int
    """Plaintext bearer keys (of kinds hashed at rest) replaced by their hash."""
    current: int
    """Secrets that were under the current key already."""
    unreadable: tuple[int, ...]
    """Credential ids whose secret no known master key opens; left as they were."""


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


def create_engine(url: str, *, autocommit: bool = False) -> AsyncEngine:
    """`autocommit` (PostgreSQL only) gives connections that run each statement on its
    own, without BEGIN and ROLLBACK: SqlRepository reads through such an engine."""
    url = async_url(url)
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite+aiosqlite://"):
        memory = url.endswith(":memory:") or url.endswith("://") or "mode=memory" in url
        if memory:
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine.sync_engine, memory=memory)
        return engine
    # Bounded waits: a database that is down or restarting must give the caller an error
    # reply within seconds, never a request that hangs (pre-ping drops dead connections).
    kwargs["connect_args"] = {"timeout": 5, "command_timeout": 30}
    if autocommit:
        kwargs["isolation_level"] = "AUTOCOMMIT"
    # A fixed pool without overflow: an overflow connection is closed when returned, so
    # under load every request paid for a new connection (TCP, TLS attempt, login);
    # waiting a moment for a pooled one is far cheaper.
    return create_async_engine(
        url, pool_pre_ping=True, pool_timeout=10, pool_size=10, max_overflow=0, **kwargs
    )


def _configure_sqlite(
    engine: Engine, *, memory: bool, direct: bool = False, query_only: bool = False
) -> None:
    """Pragmas on every new connection. `direct` engines leave beginning transactions to
    their caller (SqliteDirect); `query_only` connections refuse writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how transactions start (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if query_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if direct:
        return

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("smssign_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _direct(engine: AsyncEngine) -> SqliteDirect | None:
    """A synchronous engine on the same SQLite file, configured alike (not for :memory:,
    whose single shared connection only the async engine holds)."""
    if engine.dialect.name != "sqlite" or isinstance(engine.pool, StaticPool):
        return None
    engines = []
    for reader in (False, True):
        sync = create_sync_engine(
            engine.url.set(drivername="sqlite"),
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        _configure_sqlite(sync, memory=False, direct=True, query_only=reader)
        engines.append(sync)
    return SqliteDirect(writer=engines[0], reader=engines[1])


_COLUMN = {name: index for index, name in enumerate(t.signatures.c.keys())}
_STATUS = {status.value: status for status in Status}


def _signature(row: Row[Any]) -> Signature:
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


def _credential(row: Row[Any], keys: MasterKeys) -> Credential:
    m = row._mapping
    return Credential(
        id=m["id"],
        account_id=m["account_id"],
        dialect=m["dialect"],
        key_id=m["key_id"],
        secret=_unseal(keys, m["dialect"], m["key_id"], m["secret"]),
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


def _unseal(keys: MasterKeys, dialect: str, key_id: str, stored: str) -> str:
    try:
        return _opened(keys, dialect, key_id, stored)
    except MasterKeyError as exc:
        # A node started with the wrong master key: the caller gets an internal error.
        raise errors.Unavailable(str(exc)) from exc


@lru_cache(maxsize=4096)
def _opened(keys: MasterKeys, dialect: str, key_id: str, stored: str) -> str:
    # Every signed request needs its credential's secret: open each sealed text once, not
    # per request. The stored text is part of the key, so a rotated secret is a new entry.
    return keys.unseal(stored, secret_context(dialect, key_id))


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

# The hot reads, built once with bound parameters: SQLAlchemy memoizes a statement's cache
# key on the object, so a prebuilt statement skips both construction and key generation
# (two thirds of the cost of a small query). `_page_statements` builds one pair per shape.
_AUTHENTICATE = (
    select(t.credentials, t.accounts)
    .join(t.accounts, t.accounts.c.id == t.credentials.c.account_id)
    .where(
        t.credentials.c.dialect == bindparam("dialect"),
        t.credentials.c.key_id == bindparam("key_id"),
        t.credentials.c.revoked_at.is_(None),
    )
)
_SIGNATURES_BY_ID = select(t.signatures).where(
    t.signatures.c.account_id == bindparam("account_id"),
    t.signatures.c.id.in_(bindparam("ids", expanding=True)),
    _LIVE,
)
_SIGNATURE = select(t.signatures).where(t.signatures.c.id == bindparam("id"), _LIVE)


# The writes of add, modify and review, prepared the same way; parameters named
# where_* are the WHERE clause's, the others the columns written.
_INSERT_SIGNATURE = insert(t.signatures).returning(t.signatures)
_SAVE_SIGNATURE = update(t.signatures).where(
    t.signatures.c.id == bindparam("where_id"),
    t.signatures.c.version == bindparam("where_version"),
    _LIVE,
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


class SqlTransaction:
    """One write transaction; implements the core's Transaction and AccountTransaction."""

    def __init__(
        self,
        conn: Executor,
        *,
        row_locks: bool,
        keys: MasterKeys,
        kinds: Mapping[str, CredentialKind] | None = None,
    ) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self.keys = keys
        self.kinds = kinds or {}

    # --- signatures -----------------------------------------------------------------

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
        values = {
            **_signature_values(signature),
            "version": expected_version + 1,
            "where_id": signature.id,
            "where_version": expected_version,
        }
        try:
            result = await self.conn.execute(_SAVE_SIGNATURE, values)
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
        values = {
            "signature_id": signature.id,
            "account_id": signature.account_id,
            "kind": kind.value,
            "dialect": dialect,
            "snapshot": snapshot,
            "created_at": at,
        }
        result = await self.conn.execute(_INSERT_APPLICATION, values)
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
        values = {
            "signature_id": signature.id,
            "application_id": signature.application_id,
            "decision": decision.value,
            "reason": reason,
            "reviewer": reviewer,
            "created_at": at,
        }
        result = await self.conn.execute(_INSERT_REVIEW, values)
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
        values = {
            "account_id": account_id,
            "type": type.value,
            "signature_id": signature_id,
            "payload": payload,
            "created_at": at,
        }
        result = await self.conn.execute(_INSERT_EVENT, values)
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
        self, account_id: int, dialect: str, key_id: str, secret: str, at: float
    ) -> Credential:
        """Store the credential with its secret sealed (a bearer key as its hash only,
        when its kind says so).

        The returned credential still holds the plaintext: it is shown to the owner once.
        """
        kind = self.kinds.get(dialect)
        stored_key_id = kind.stored_key_id(key_id) if kind is not None else key_id
        stored_secret = (
            self.keys.seal(secret, secret_context(dialect, stored_key_id)) if secret else ""
        )
        result = await self.conn.execute(
            insert(t.credentials)
            .values(
                account_id=account_id,
                dialect=dialect,
                key_id=stored_key_id,
                secret=stored_secret,
                created_at=at,
                revoked_at=None,
            )
            .returning(t.credentials.c.id)
        )
        return Credential(result.scalar_one(), account_id, dialect, key_id, secret, at)

    async def revoke_credentials(self, account_id: int, dialect: str, at: float) -> None:
        c = t.credentials.c
        await self.conn.execute(
            update(t.credentials)
            .where(c.account_id == account_id, c.dialect == dialect, c.revoked_at.is_(None))
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

    def __init__(
        self,
        engine: AsyncEngine,
        keys: MasterKeys | None = None,
        *,
        kinds: Sequence[CredentialKind] = (),
    ) -> None:
        """`keys` seal credential secrets; without them a key is made up for this object
        only, which suits a throwaway database and nothing else. `kinds` say how each
        credential kind is kept at rest (the provider registry's)."""
        self.engine = engine
        self.kinds: Mapping[str, CredentialKind] = {kind.name: kind for kind in kinds}
        self.row_locks = engine.dialect.name != "sqlite"
        self.keys = keys or MasterKeys(MasterKey.generate())
        self.direct = _direct(engine)
        """A SQLite file's statements without thread round trips; None otherwise."""
        self.reads = (
            create_engine(engine.url.render_as_string(hide_password=False), autocommit=True)
            if engine.dialect.name == "postgresql"
            else None
        )
        """PostgreSQL reads without BEGIN/ROLLBACK: two round trips fewer per read, and
        under READ COMMITTED a read transaction gave no more consistency than this."""

    async def close(self) -> None:
        if self.direct is not None:
            self.direct.dispose()
        if self.reads is not None:
            await self.reads.dispose()
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        try:
            if self.direct is not None:
                async with self.direct.write() as direct:
                    yield SqlTransaction(direct, row_locks=False, keys=self.keys, kinds=self.kinds)
                return
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(smssign_write=True)
                async with conn.begin():
                    yield SqlTransaction(
                        conn, row_locks=self.row_locks, keys=self.keys, kinds=self.kinds
                    )
        except (errors.SmssignError, IntegrityError):
            raise
        except DBAPIError as exc:
            raise errors.Unavailable(str(exc.orig)) from exc
        except (OSError, PoolTimeout) as exc:
            raise errors.Unavailable(str(exc)) from exc

    account_transaction = transaction

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[Executor]:
        try:
            if self.direct is not None:
                with self.direct.read() as direct:
                    yield direct
                return
            async with (self.reads or self.engine).connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise errors.Unavailable(str(exc.orig)) from exc
        except (OSError, PoolTimeout) as exc:
            raise errors.Unavailable(str(exc)) from exc

    async def authenticate(self, dialect: str, key_id: str) -> tuple[Credential, Account] | None:
        """Bearer keys are looked up by their hash; the secret comes back unsealed."""
        kind = self.kinds.get(dialect)
        if kind is not None:
            key_id = kind.stored_key_id(key_id)
        c = t.credentials.c
        async with self._read() as conn:
            row = (
                await conn.execute(_AUTHENTICATE, {"dialect": dialect, "key_id": key_id})
            ).first()
        if row is None:
            return None
        m = row._mapping
        credential = Credential(
            id=m[c.id],
            account_id=m[c.account_id],
            dialect=m[c.dialect],
            key_id=m[c.key_id],
            secret=_unseal(self.keys, m[c.dialect], m[c.key_id], m[c.secret]),
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
            rows = (await conn.execute(page, params)).all()
            total = int((await conn.execute(total_query, params)).scalar_one()) if count else -1
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
        return [_credential(r, self.keys) for r in rows]

    async def webhook_backlog(self) -> int:
        """Events not yet delivered: not yet dispatched, or with a delivery still pending.

        For the `smssign_webhook_backlog` metric; 0 where the webhook tables do not exist.
        """
        deliveries = getattr(t, "deliveries", None)
        dispatched_at = getattr(t.events.c, "dispatched_at", None)
        if deliveries is None or dispatched_at is None:
            return 0
        undispatched = select(func.count()).select_from(t.events).where(dispatched_at.is_(None))
        pending = (
            select(func.count()).select_from(deliveries).where(deliveries.c.status == "pending")
        )
        async with self._read() as conn:
            first = int((await conn.execute(undispatched)).scalar_one())
            second = int((await conn.execute(pending)).scalar_one())
        return first + second

    async def unknown_master_key(self) -> str | None:
        """The id of a master key that sealed an active secret but is not among ours.

        Checked on start, so that a node given the wrong SMSSIGN_MASTER_KEY refuses to
        run instead of failing every authentication.
        """
        c = t.credentials.c
        query = select(c.secret).where(c.revoked_at.is_(None), c.secret.startswith(SEALED_PREFIX))
        for key in (self.keys.current, *self.keys.previous):
            query = query.where(not_(c.secret.startswith(f"{SEALED_PREFIX}{key.id}:")))
        async with self._read() as conn:
            found = (await conn.execute(query.limit(1))).scalar_one_or_none()
        return None if found is None else sealed_key_id(found)

    async def reseal_credentials(self, *, plaintext_only: bool = False) -> Resealed:
        """Seal every stored secret under the current master key, in one transaction.

        Secrets under an older key are opened with it and sealed again; plaintext secrets
        and plaintext bearer keys of kinds hashed at rest (databases from before sealing)
        are sealed and hashed. Revoked credentials are included, so an old key can be
        dropped afterwards.
        `plaintext_only` limits the pass to rows never sealed (done on every start).
        """
        c = t.credentials.c
        hashed_kinds = sorted(name for name, kind in self.kinds.items() if kind.hashed)
        query = select(t.credentials).order_by(c.id)
        if plaintext_only:
            query = query.where(
                or_(
                    and_(c.secret != "", not_(c.secret.startswith(SEALED_PREFIX))),
                    and_(
                        c.dialect.in_(hashed_kinds),
                        not_(c.key_id.startswith(DIGEST_PREFIX)),
                    ),
                )
            )
        sealed = hashed = current = 0
        unreadable: list[int] = []
        async with self.transaction() as tx:
            if self.row_locks:
                query = query.with_for_update()
            for row in (await tx.conn.execute(query)).all():
                m = row._mapping
                dialect, key_id, secret = m["dialect"], m["key_id"], m["secret"]
                new_key_id = key_id
                if dialect in hashed_kinds and not is_key_digest(key_id):
                    new_key_id = self.kinds[dialect].stored_key_id(key_id)
                    hashed += 1
                new_secret = secret
                if secret and (not self.keys.is_current(secret) or new_key_id != key_id):
                    try:
                        plain = self.keys.unseal(secret, secret_context(dialect, key_id))
                    except MasterKeyError:
                        unreadable.append(m["id"])
                        continue
                    new_secret = self.keys.seal(plain, secret_context(dialect, new_key_id))
                    sealed += 1
                elif secret:
                    current += 1
                if (new_key_id, new_secret) != (key_id, secret):
                    await tx.conn.execute(
                        update(t.credentials)
                        .where(c.id == m["id"])
                        .values(key_id=new_key_id, secret=new_secret)
                    )
        return Resealed(sealed, hashed, current, tuple(unreadable))

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


__all__ = ["Resealed", "SqlRepository", "SqlTransaction", "async_url", "create_engine"]
