"""Two nodes on one PostgreSQL, 50 clients modifying the same signature at once.

The row lock (and the optimistic version behind it) must serialize the applications:
every acknowledged one is stored, none is lost or merged, and the signature ends in the
state of the last one acknowledged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smssign.store import tables as t
from tests.conftest import Server, stop_server
from tests.reliability.cluster import (
    V2019,
    Reply,
    add_signatures,
    call,
    client,
    figure,
    fresh_postgres,
    modify,
    rows,
    start_node,
)

CLIENTS = 50


async def modify_together(
    nodes: list[Server], account: dict[str, Any], sign_id: int
) -> list[Reply]:
    start = asyncio.Event()

    async def one(http: Any, n: int) -> Reply:
        await start.wait()
        node = nodes[n % len(nodes)]
        payload = modify(sign_id, f"并发{n}", remark=f"client {n}")
        return await call(http, node.url, account, "ModifySmsSign", payload, version=V2019)

    async with client(connections=CLIENTS) as http:
        tasks = [asyncio.create_task(one(http, n)) for n in range(CLIENTS)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


@pytest.mark.slow
def test_concurrent_modifications_are_serialized(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_postgres()
    nodes = [start_node(tmp_path, name, url, "--no-rate-limit") for name in ("a", "b")]
    try:
        account = nodes[0].create_account()
        [sign_id] = add_signatures(nodes[0], account["id"], ["同一个签名"])
        replies = asyncio.run(modify_together(nodes, account, sign_id))

        acknowledged = {
            int(r.response["ModifySignStatus"]["SignApplyId"]): n
            for n, r in enumerate(replies)
            if r.ok and r.response is not None
        }
        refused = [r.code for r in replies if not r.ok]
        stored = rows(
            url,
            select(t.applications)
            .where(t.applications.c.subject_id == sign_id, t.applications.c.kind == "modify")
            .order_by(t.applications.c.id),
        )
        [signature] = rows(url, select(t.signatures).where(t.signatures.c.id == sign_id))
        lost = sorted(set(acknowledged) - {a["id"] for a in stored})
        last_id = max(acknowledged)
        last_client = acknowledged[last_id]
        figure(
            capsys,
            f"2 nodes, {CLIENTS} clients on one signature: {len(acknowledged)} acknowledged, "
            f"{len(refused)} refused, {len(stored)} applications stored, lost {len(lost)}; "
            f"final state from client {signature['remark'].split()[-1]}, last acknowledged "
            f"client {last_client}; version {signature['version']}",
        )
        assert lost == []
        # Nothing beyond what was acknowledged was written either.
        assert [a["id"] for a in stored] == sorted(acknowledged)
        assert refused == []
        # Serialized: each application saw the one before it; the last one is the state.
        assert signature["application_id"] == last_id
        assert (signature["name"], signature["remark"]) == (
            f"并发{last_client}",
            f"client {last_client}",
        )
        assert signature["version"] == 1 + len(stored)
        assert [a["snapshot"]["remark"] for a in stored] == [
            f"client {acknowledged[a['id']]}" for a in stored
        ]
    finally:
        for node in nodes:
            stop_server(node)
