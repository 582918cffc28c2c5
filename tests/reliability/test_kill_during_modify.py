"""kill -9 a node in the middle of 500 concurrent ModifySmsSign calls, then restart it.

Every application the node acknowledged (a SignApplyId in a success reply) must be in the
database afterwards, and nothing may be half-written: each signature's version, its
applications and its outbox events must still agree, and its current application must
be its newest.
"""

from __future__ import annotations

import asyncio
import os
import signal
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
    outcomes,
    rows,
    start_node,
)

CALLS = 500
SIGNATURES = 25
KILL_AFTER = 200
"""Acknowledged calls before the kill: well inside the run."""


async def modify_until_killed(node: Server, account: dict[str, Any], ids: list[int]) -> list[Reply]:
    acknowledged = 0
    killed = asyncio.Event()

    async def one(http: Any, n: int) -> Reply:
        nonlocal acknowledged
        sign_id = ids[n % len(ids)]
        reply = await call(
            http, node.url, account, "ModifySmsSign", modify(sign_id, f"改名{n}"), version=V2019
        )
        if reply.ok:
            acknowledged += 1
            if acknowledged >= KILL_AFTER and not killed.is_set():
                killed.set()
                os.kill(node.process.pid, signal.SIGKILL)
        return reply

    async with client(connections=100) as http:
        replies = await asyncio.gather(*(one(http, n) for n in range(CALLS)))
    if not killed.is_set():
        # Too few acknowledged to kill mid-run (a stalled machine): kill anyway so that the
        # assertions below say what came back instead of a hung wait.
        os.kill(node.process.pid, signal.SIGKILL)
    return replies


@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_acknowledged_applications_survive_kill_9(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_postgres() if database == "postgresql" else f"sqlite:///{tmp_path / 'kill.db'}"
    node = start_node(tmp_path, "node", url, "--no-rate-limit")
    account = node.create_account()
    ids = add_signatures(node, account["id"], [f"签名{n}" for n in range(SIGNATURES)])

    replies = asyncio.run(modify_until_killed(node, account, ids))
    assert node.process.wait(timeout=10) == -signal.SIGKILL
    acked = {
        int(r.response["ModifySignStatus"]["SignApplyId"]): r.response["ModifySignStatus"]["SignId"]
        for r in replies
        if r.ok and r.response is not None
    }
    errors = [r for r in replies if r.status is not None and not r.ok]
    assert len(acked) >= KILL_AFTER, outcomes(replies)
    assert errors == [], [r.response for r in errors[:3]]  # only success or a dead socket

    restarted = start_node(tmp_path, "restarted", url, "--no-rate-limit")
    try:
        applications = rows(url, select(t.applications).where(t.applications.c.kind == "modify"))
        stored = {a["id"]: a["subject_id"] for a in applications}
        missing = [app for app, sign in acked.items() if stored.get(app) != sign]
        half_written = inconsistent_signatures(url, ids)
        figure(
            capsys,
            f"kill -9 ({database}): {len(acked)} of {CALLS} ModifySmsSign acknowledged before "
            f"the kill, {len(stored)} applications stored; missing after restart: "
            f"{len(missing)}; half-written signatures: {len(half_written)}",
        )
        assert missing == []
        assert half_written == []
    finally:
        stop_server(restarted)


def inconsistent_signatures(url: str, ids: list[int]) -> list[dict[str, Any]]:
    """Signatures whose row, applications and events disagree."""
    signatures = rows(url, select(t.signatures).where(t.signatures.c.id.in_(ids)))
    applications = rows(
        url, select(t.applications.c.id, t.applications.c.subject_id, t.applications.c.snapshot)
    )
    events = rows(url, select(t.events.c.subject_id, t.events.c.type, t.events.c.payload))
    bad = []
    for signature in signatures:
        mine = sorted(
            (a for a in applications if a["subject_id"] == signature["id"]), key=lambda a: a["id"]
        )
        submissions = [
            e
            for e in events
            if e["subject_id"] == signature["id"]
            and e["type"] in ("signature.submitted", "signature.modified")
        ]
        newest = mine[-1] if mine else None
        if (
            newest is None
            or signature["version"] != len(mine)
            or len(submissions) != len(mine)
            or signature["application_id"] != newest["id"]
            or signature["name"] != newest["snapshot"]["name"]
            or sorted(e["payload"]["application_id"] for e in submissions)
            != [a["id"] for a in mine]
        ):
            bad.append(signature)
    return bad
