"""Nodes on the machine's PostgreSQL and Redis, signed load from asyncio, and the figures.

Every reliability test builds its own cluster: a fresh PostgreSQL database (dropped when
the session ends), one or two `smssign serve` processes on it, and a load of signed
Tencent API 3.0 calls sent over loopback by an asyncio client. Each test prints one line
starting with `[figure]`, whatever pytest captures.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smssign.app.demo import sample_png
from smssign.store.repository import async_url
from tests.conftest import Server, start_server
from tests.databases import create_database
from tests.dialects.tencent_v3.signing import tc3_headers
from tests.services import postgres_admin_url

V2019 = "2019-07-11"
V2021 = "2021-01-11"
PROOF = base64.b64encode(sample_png()).decode()


def fresh_postgres() -> str:
    return create_database(postgres_admin_url())


def start_node(base: Path, name: str, database_url: str, *flags: str) -> Server:
    directory = base / name
    directory.mkdir()
    return start_server(directory, *flags, database_url=database_url)


def figure(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[figure] {text}")


@dataclass
class Reply:
    """One call as the client saw it."""

    started: float
    finished: float
    status: int | None
    """None: no HTTP reply at all (refused, reset, timed out)."""
    json: bool
    response: dict[str, Any] | None
    failure: str | None

    @property
    def code(self) -> str | None:
        """The error code; None for a success or when there was no JSON reply."""
        if self.response is None or "Error" not in self.response:
            return None
        return str(self.response["Error"]["Code"])

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response is not None and "Error" not in self.response


def outcomes(replies: list[Reply]) -> Counter[str | int | None]:
    """What the calls that were not acknowledged got: an error code, a transport failure."""
    return Counter(r.code or r.failure or r.status for r in replies if not r.ok)


async def call(
    http: httpx.AsyncClient,
    url: str,
    account: dict[str, Any],
    action: str,
    payload: dict[str, Any],
    *,
    version: str = V2021,
) -> Reply:
    """A TC3-signed JSON POST; transport failures become a Reply, never an exception."""
    raw = json.dumps(payload).encode()
    tencent = account["tencent"]
    headers = tc3_headers(
        url, tencent["secret_id"], tencent["secret_key"], action, raw, version=version
    )
    started = time.monotonic()
    try:
        response = await http.post(url + "/", content=raw, headers=headers)
    except httpx.HTTPError as exc:
        return Reply(started, time.monotonic(), None, False, None, type(exc).__name__)
    finished = time.monotonic()
    is_json = response.headers.get("content-type") == "application/json"
    body = response.json()["Response"] if is_json else None
    return Reply(started, finished, response.status_code, is_json, body, None)


def modify(sign_id: int, name: str, remark: str = "") -> dict[str, Any]:
    """A ModifySmsSign payload for 2019-07-11 (which answers with the SignApplyId)."""
    return {
        "SignId": sign_id,
        "SignName": name,
        "SignType": 0,
        "DocumentType": 1,
        "International": 0,
        "UsedMethod": 1,
        "ProofImage": PROOF,
        "Remark": remark,
    }


def add_signatures(server: Server, account_id: int, names: Sequence[str]) -> list[int]:
    """Pending signatures made through the core, as a setup step."""
    from smssign.core.model import Draft, Image

    image = Image(sample_png(), "PNG", 4, 4)

    async def add(runtime: Any) -> list[int]:
        account = await runtime.accounts.get(account_id)
        ids = []
        for name in names:
            draft = Draft(name=name, sign_type=0, document_type=1, proof_images=(image,))
            change = await runtime.signatures.add(account, draft, dialect="setup")
            ids.append(change.signature.id)
        return ids

    return server.run(add)


def rows(database_url: str, query: Select[Any]) -> list[dict[str, Any]]:
    """Rows straight from the database, as dicts."""

    async def fetch() -> list[dict[str, Any]]:
        engine = create_async_engine(async_url(database_url), poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return [dict(r._mapping) for r in (await conn.execute(query)).all()]
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def client(connections: int = 100, timeout: float = 15.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
