"""The SQLAlchemy implementation of the core's repository interfaces.

SQLite (the embedded default) runs in WAL mode with full fsync, and every write
transaction starts with BEGIN IMMEDIATE so two writers never deadlock upgrading a read
lock. For a SQLite file the repository's own reads and writes skip aiosqlite's thread
round trips (see store/sqlite_direct.py). PostgreSQL takes row locks with SELECT … FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from smssign.core import errors
from smssign.core.model import (
    Account,
    Certification,
    Credential,
    Qualification,
    QualificationStatus,
)
from smssign.core.providers import DIGEST_PREFIX, CredentialKind, is_key_digest
from smssign.store import tables as t
from smssign.store.database import (
    DEFAULT_LOCK_TIMEOUT,
    Database,
    async_url,
    create_engine,
)
from smssign.store.keyring import (
    SEALED_PREFIX,
    MasterKey,
    MasterKeyError,
    MasterKeys,
    key_context,
    sealed_key_id,
    secret_context,
)
from smssign.store.messages import MessageReads, MessageWrites
from smssign.store.reviewables import (
    ReviewReads,
    ReviewWrites,
)
from smssign.store.sqlite_direct import Executor
from smssign.store.templates import TemplateReads, TemplateWrites

DEFAULT_QUOTA = 100


@dataclass(frozen=True, slots=True)
class Resealed:
    """What a pass over the stored credentials did (see `reseal_credentials`)."""

    sealed: int
    """Secrets (and sealed copies of hashed keys) sealed anew under the current master key."""
    hashed: int
    """Plaintext bearer keys (of kinds hashed at rest) replaced by their hash."""
    current: int
    """Secrets (and copies) that were under the current key already."""
    unreadable: tuple[int, ...]
    """Credential ids whose secret no known master key opens; left as they were."""


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


class SqlTransaction(ReviewWrites, TemplateWrites, MessageWrites):
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
        when its kind says so, and a sealed copy beside it when its kind keeps one).

        The returned credential still holds the plaintext: it is shown to the owner once.
        """
        kind = self.kinds.get(dialect)
        stored_key_id = kind.stored_key_id(key_id) if kind is not None else key_id
        stored_secret = (
            self.keys.seal(secret, secret_context(dialect, stored_key_id)) if secret else ""
        )
        copy = kind is not None and kind.sealed_copy
        result = await self.conn.execute(
            insert(t.credentials)
            .values(
                account_id=account_id,
                dialect=dialect,
                key_id=stored_key_id,
                secret=stored_secret,
                created_at=at,
                revoked_at=None,
                sealed_key=(
                    self.keys.seal(key_id, key_context(dialect, stored_key_id)) if copy else ""
                ),
            )
            .returning(t.credentials.c.id)
        )
        return Credential(result.scalar_one(), account_id, dialect, key_id, secret, at)

    async def revoke_credentials(self, account_id: int, dialect: str, at: float) -> None:
        c = t.credentials.c
        await self.conn.execute(
            update(t.credentials)
            .where(c.account_id == account_id, c.dialect == dialect, c.revoked_at.is_(None))
            # A revoked key signs nothing any more: its sealed copy goes with it.
            .values(revoked_at=at, sealed_key="")
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


class SqlRepository(ReviewReads, TemplateReads, MessageReads):
    """Implements the core's Repository and AccountRepository on one engine."""

    def __init__(
        self,
        engine: AsyncEngine,
        keys: MasterKeys | None = None,
        *,
        kinds: Sequence[CredentialKind] = (),
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        """`keys` seal credential secrets; without them a key is made up for this object
        only, which suits a throwaway database and nothing else. `kinds` say how each
        credential kind is kept at rest (the provider registry's). `lock_timeout` bounds
        each write's wait for the database's write lock."""
        self.engine = engine
        self.kinds: Mapping[str, CredentialKind] = {kind.name: kind for kind in kinds}
        self.keys = keys or MasterKeys(MasterKey.generate())
        self.database = Database.of(engine, lock_timeout=lock_timeout)
        """The one write path of this process, shared with the back office's store."""
        self.row_locks = self.database.row_locks

    async def close(self) -> None:
        await self.database.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self.database.write() as conn:
            yield SqlTransaction(conn, row_locks=self.row_locks, keys=self.keys, kinds=self.kinds)

    account_transaction = transaction
    message_transaction = transaction

    def _write(self) -> AbstractAsyncContextManager[Executor]:
        return self.database.write()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlTransaction]:
        """The checks' reads on one snapshot, without locks (see SignatureService)."""
        async with self._read() as conn:
            yield SqlTransaction(conn, row_locks=False, keys=self.keys)

    def _read(self) -> AbstractAsyncContextManager[Executor]:
        return self.database.read()

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
        async with self._read() as conn:
            for column in (c.secret, c.sealed_key):
                query = select(column).where(
                    c.revoked_at.is_(None), column.startswith(SEALED_PREFIX)
                )
                for key in (self.keys.current, *self.keys.previous):
                    query = query.where(not_(column.startswith(f"{SEALED_PREFIX}{key.id}:")))
                found = (await conn.execute(query.limit(1))).scalar_one_or_none()
                if found is not None:
                    return sealed_key_id(found)
        return None

    async def reseal_credentials(self, *, plaintext_only: bool = False) -> Resealed:
        """Seal every stored secret under the current master key, in one transaction.

        Secrets and sealed key copies under an older key are opened with it and sealed
        again; plaintext secrets and plaintext bearer keys of kinds hashed at rest
        (databases from before sealing) are sealed and hashed, and such a key whose kind
        keeps a sealed copy gets one. Revoked credentials are included, so an old key can
        be dropped afterwards.
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
        counts = {"sealed": 0, "current": 0}
        hashed = 0
        unreadable: list[int] = []
        async with self.transaction() as tx:
            if self.row_locks:
                query = query.with_for_update()
            for row in (await tx.conn.execute(query)).all():
                m = row._mapping
                dialect, key_id = m["dialect"], m["key_id"]
                new_key_id = key_id
                if dialect in hashed_kinds and not is_key_digest(key_id):
                    new_key_id = self.kinds[dialect].stored_key_id(key_id)
                    hashed += 1
                try:
                    new_secret = self._resealed(
                        m["secret"], secret_context, dialect, key_id, new_key_id, counts
                    )
                    new_copy = self._resealed(
                        m["sealed_key"], key_context, dialect, key_id, new_key_id, counts
                    )
                except MasterKeyError:
                    unreadable.append(m["id"])
                    continue
                kind = self.kinds.get(dialect)
                if (
                    kind is not None
                    and kind.sealed_copy
                    and not new_copy
                    and new_key_id != key_id
                    and m["revoked_at"] is None
                ):
                    # A plaintext key, hashed just now: the last chance to keep a copy.
                    new_copy = self.keys.seal(key_id, key_context(dialect, new_key_id))
                    counts["sealed"] += 1
                if (new_key_id, new_secret, new_copy) != (key_id, m["secret"], m["sealed_key"]):
                    await tx.conn.execute(
                        update(t.credentials)
                        .where(c.id == m["id"])
                        .values(key_id=new_key_id, secret=new_secret, sealed_key=new_copy)
                    )
        return Resealed(counts["sealed"], hashed, counts["current"], tuple(unreadable))

    def _resealed(
        self,
        stored: str,
        context: Callable[[str, str], str],
        dialect: str,
        key_id: str,
        new_key_id: str,
        counts: dict[str, int],
    ) -> str:
        """`stored` sealed under the current key for the row's (new) key id, counted in
        `counts`; "" stays "". MasterKeyError when no known key opens it."""
        if not stored:
            return stored
        if self.keys.is_current(stored) and new_key_id == key_id:
            counts["current"] += 1
            return stored
        plain = self.keys.unseal(stored, context(dialect, key_id))
        counts["sealed"] += 1
        return self.keys.seal(plain, context(dialect, new_key_id))

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


__all__ = [
    "Resealed",
    "SqlRepository",
    "SqlTransaction",
    "async_url",
    "create_engine",
]
