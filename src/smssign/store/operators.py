"""SQL for operators: their rows, sessions, API tokens and login failures.

A mixin of `BackofficeStore` (store/backoffice.py), which supplies the shared writer and
reader; together they implement `OperatorStore` (smssign.core.operators).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smssign.core import errors
from smssign.core.operators import Gate, LockoutPolicy, Operator, OperatorSession, Token
from smssign.store import tables as t
from smssign.store.records import MAX_ID
from smssign.store.sqlite_direct import Executor


def _operator(row: Row[Any]) -> Operator:
    m = row._mapping
    return Operator(m["id"], m["name"], m["created_at"], m["disabled_at"])


class OperatorRows:
    """The operator half of the back-office store."""

    row_locks: bool

    def _write(self) -> AbstractAsyncContextManager[Executor]:
        raise NotImplementedError

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    async def insert_operator(self, name: str, password_hash: str, at: float) -> Operator:
        try:
            async with self._write() as conn:
                result = await conn.execute(
                    insert(t.operators)
                    .values(name=name, password_hash=password_hash, created_at=at)
                    .returning(t.operators)
                )
                return _operator(result.one())
        except IntegrityError as exc:
            raise errors.Conflict(f"an operator named {name!r} exists") from exc

    async def operator_named(self, name: str) -> tuple[Operator, str] | None:
        async with self._read() as conn:
            row = (
                await conn.execute(select(t.operators).where(t.operators.c.name == name))
            ).first()
        return (_operator(row), row._mapping["password_hash"]) if row else None

    async def operators(self) -> list[Operator]:
        async with self._read() as conn:
            rows = (await conn.execute(select(t.operators).order_by(t.operators.c.id))).all()
        return [_operator(r) for r in rows]

    async def set_password(
        self, operator_id: int, password_hash: str, *, end_sessions_at: float | None
    ) -> None:
        async with self._write() as conn:
            await conn.execute(
                update(t.operators)
                .where(t.operators.c.id == operator_id)
                .values(password_hash=password_hash)
            )
            if end_sessions_at is not None:
                await self._end_sessions(conn, operator_id, end_sessions_at)

    async def disable_operator(self, operator_id: int, at: float) -> None:
        o, k = t.operators.c, t.operator_tokens.c
        async with self._write() as conn:
            await conn.execute(
                update(t.operators)
                .where(o.id == operator_id, o.disabled_at.is_(None))
                .values(disabled_at=at)
            )
            await self._end_sessions(conn, operator_id, at)
            await conn.execute(
                update(t.operator_tokens)
                .where(k.operator_id == operator_id, k.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def enable_operator(self, operator_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(
                update(t.operators).where(t.operators.c.id == operator_id).values(disabled_at=None)
            )

    @staticmethod
    async def _end_sessions(conn: Executor, operator_id: int, at: float) -> None:
        s = t.operator_sessions.c
        await conn.execute(
            update(t.operator_sessions)
            .where(s.operator_id == operator_id, s.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def count_login_failures(self, name: str, since: float) -> int:
        c = t.login_failures.c
        query = select(func.count()).where(c.name == name, c.at > since)
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def open_login_attempt(
        self, name: str, address: str | None, at: float, since: float, policy: LockoutPolicy
    ) -> Gate:
        c = t.login_failures.c
        address = (address or "")[:64]
        async with self._write() as conn:
            if self.row_locks:
                # PostgreSQL: count-then-insert is atomic only under a lock per name and
                # per address (SQLite's BEGIN IMMEDIATE already serializes writers).
                for key in (f"login-name:{name}", f"login-address:{address}"):
                    await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
            count = select(func.count()).where(c.name == name, c.at > since)
            if int((await conn.execute(count)).scalar_one()) >= policy.max_failures:
                return Gate.NAME_LOCKED
            if address:
                count = select(func.count()).where(c.address == address, c.at > since)
                if int((await conn.execute(count)).scalar_one()) >= policy.max_failures_per_address:
                    return Gate.ADDRESS_LOCKED
            await conn.execute(insert(t.login_failures).values(name=name, address=address, at=at))
        return Gate.OPEN

    async def clear_login_failures(self, name: str) -> None:
        async with self._write() as conn:
            await conn.execute(delete(t.login_failures).where(t.login_failures.c.name == name))

    async def insert_session(
        self, operator_id: int, token_hash: str, at: float, expires_at: float
    ) -> int:
        async with self._write() as conn:
            result = await conn.execute(
                insert(t.operator_sessions)
                .values(
                    operator_id=operator_id,
                    token_hash=token_hash,
                    created_at=at,
                    expires_at=expires_at,
                    revoked_at=None,
                )
                .returning(t.operator_sessions.c.id)
            )
            return int(result.scalar_one())

    async def session(self, token_hash: str, now: float) -> OperatorSession | None:
        s = t.operator_sessions.c
        query = (
            select(t.operator_sessions, t.operators)
            .join(t.operators, t.operators.c.id == s.operator_id)
            .where(
                s.token_hash == token_hash,
                s.revoked_at.is_(None),
                s.expires_at > now,
                t.operators.c.disabled_at.is_(None),
            )
        )
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        o = t.operators.c
        operator = Operator(m[o.id], m[o.name], m[o.created_at], m[o.disabled_at])
        return OperatorSession(m[s.id], operator, m[s.created_at], m[s.expires_at])

    async def revoke_session(self, token_hash: str, at: float) -> None:
        s = t.operator_sessions.c
        async with self._write() as conn:
            await conn.execute(
                update(t.operator_sessions)
                .where(s.token_hash == token_hash, s.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def insert_token(
        self,
        operator_id: int,
        token_hash: str,
        label: str,
        at: float,
        expires_at: float | None,
    ) -> int:
        async with self._write() as conn:
            result = await conn.execute(
                insert(t.operator_tokens)
                .values(
                    operator_id=operator_id,
                    token_hash=token_hash,
                    label=label,
                    created_at=at,
                    expires_at=expires_at,
                    revoked_at=None,
                )
                .returning(t.operator_tokens.c.id)
            )
            return int(result.scalar_one())

    async def token_operator(self, token_hash: str, now: float) -> Operator | None:
        k = t.operator_tokens.c
        query = (
            select(t.operators)
            .join(t.operator_tokens, k.operator_id == t.operators.c.id)
            .where(
                k.token_hash == token_hash,
                k.revoked_at.is_(None),
                or_(k.expires_at.is_(None), k.expires_at > now),
                t.operators.c.disabled_at.is_(None),
            )
        )
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return _operator(row) if row else None

    def _tokens_query(self) -> Any:
        k = t.operator_tokens.c
        return select(
            k.id, t.operators.c.name, k.label, k.created_at, k.expires_at, k.revoked_at
        ).join(t.operators, t.operators.c.id == k.operator_id)

    async def tokens(self, operator_id: int) -> list[Token]:
        k = t.operator_tokens.c
        query = self._tokens_query().where(k.operator_id == operator_id).order_by(k.id)
        async with self._read() as conn:
            return [Token(*row) for row in (await conn.execute(query)).all()]

    async def revoke_token(self, token_id: int, at: float) -> Token | None:
        k = t.operator_tokens.c
        if not 0 < token_id <= MAX_ID:
            return None
        async with self._write() as conn:
            await conn.execute(
                update(t.operator_tokens)
                .where(k.id == token_id, k.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            row = (await conn.execute(self._tokens_query().where(k.id == token_id))).first()
        return Token(*tuple(row)) if row else None
