"""Who is calling, cached: the credential and account of a key id, checked per request.

Every signed request looks up its key id (SendSms twice: the TC3 key and its SDK AppID).
The lookup is one indexed join, but reading and building its row cost more than the query.
So the repository keeps what it found, and each request checks it with one read of a
generation token: a row of `server_keys` that every transaction changing what is cached
(a credential revoked or rotated, secrets resealed, an account's policy saved, a test
reset) sets to a new random value. The token is read in the same snapshot as a lookup
would be, so a revoked key is refused by the very next request, on this node or any other
(the CLI, another worker, another node all write the same row). A random token rather
than a counter: a reset that erased the rows cannot bring an old value back.

Changes made with plain SQL outside smssign do not change the token; restart the server
after such surgery.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from smssign.core.model import Account, Credential
from smssign.store import tables as t
from smssign.store.sqlite_direct import Executor

GENERATION = "credentials.generation"
MOST_CACHED = 4096

_K = t.server_keys.c
READ_GENERATION = select(_K.value).where(_K.name == GENERATION)


async def bump(conn: Executor, *, postgresql: bool) -> None:
    """Give the generation a new value, inside the caller's write transaction."""
    value = os.urandom(12).hex()
    insert = (postgresql_insert if postgresql else sqlite_insert)(t.server_keys)
    await conn.execute(
        insert.values(name=GENERATION, value=value, created_at=0.0).on_conflict_do_update(
            index_elements=[_K.name], set_={"value": value}
        )
    )


class Callers:
    """(dialect, stored key id) -> what the lookup found, with the generation it was read in."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], tuple[Any, Credential, Account]] = {}

    def get(self, dialect: str, key_id: str, generation: Any) -> tuple[Credential, Account] | None:
        hit = self._found.get((dialect, key_id))
        if hit is None or hit[0] != generation:
            return None
        return hit[1], hit[2]

    def put(
        self, dialect: str, key_id: str, generation: Any, credential: Credential, account: Account
    ) -> None:
        if len(self._found) >= MOST_CACHED:
            self._found.clear()
        self._found[(dialect, key_id)] = (generation, credential, account)

    def clear(self) -> None:
        self._found.clear()


__all__ = ["GENERATION", "READ_GENERATION", "Callers", "bump"]
