"""PostgreSQL restarted under load: every caller gets a proper reply, the node recovers.

While clients keep calling DescribeSmsSignList and ModifySmsSign, the database server is
restarted (`pg_ctlcluster … restart`). Each reply must be HTTP 200 JSON, either a success
or Tencent's `InternalError`; never a hung request, a dropped connection or an HTML 500.
Once PostgreSQL is back, calls succeed again without restarting smssign. The database
is left running, also when the test fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

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
    start_node,
)

CLIENTS = 6
TIMEOUT = 20.0
"""A reply slower than this counts as a hung request."""
AFTER_RESTART = 4.0
"""Seconds of load after PostgreSQL is back."""


def cluster_command(action: str) -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action]


def ensure_running() -> None:
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode != 0:
        subprocess.run(cluster_command("start"), check=False, capture_output=True)
    deadline = time.monotonic() + 30
    while subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not come back")
        time.sleep(0.2)


async def load_through_restart(
    node: Server, account: dict[str, Any], ids: list[int]
) -> tuple[list[Reply], float, float]:
    """Replies, and when the restart began and ended (monotonic seconds)."""
    replies: list[Reply] = []
    restarted = asyncio.Event()
    window: list[float] = []

    async def worker(http: Any, n: int) -> None:
        sent = 0
        while sent < 5000:
            if restarted.is_set() and time.monotonic() > window[1] + AFTER_RESTART:
                return
            if n % 2:
                payload = modify(ids[n], f"重启{n}x{sent}")
                reply = await call(http, node.url, account, "ModifySmsSign", payload, version=V2019)
            else:
                payload = {"International": 0}
                reply = await call(http, node.url, account, "DescribeSmsSignList", payload)
            replies.append(reply)
            sent += 1

    async def restart() -> None:
        await asyncio.sleep(1.5)
        window.append(time.monotonic())
        done = await asyncio.to_thread(
            subprocess.run, cluster_command("restart"), capture_output=True
        )
        assert done.returncode == 0, done.stderr
        await asyncio.to_thread(ensure_running)
        window.append(time.monotonic())
        restarted.set()

    async with client(connections=CLIENTS, timeout=TIMEOUT) as http:
        await asyncio.gather(restart(), *(worker(http, n) for n in range(CLIENTS)))
    return replies, window[0], window[1]


@pytest.mark.slow
def test_a_postgresql_restart_gives_internal_errors_then_recovers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if (
        shutil.which("pg_ctlcluster") is None
        or os.geteuid() != 0
        or not Path("/etc/postgresql").is_dir()
    ):
        if os.environ.get("CI"):
            pytest.fail("restarting PostgreSQL needs root and pg_ctlcluster")
        pytest.skip("restarting PostgreSQL needs root and pg_ctlcluster")
    url = fresh_postgres()
    node = start_node(tmp_path, "node", url, "--no-rate-limit")
    try:
        account = node.create_account()
        ids = add_signatures(node, account["id"], [f"重启签名{n}" for n in range(CLIENTS)])
        replies, began, ended = asyncio.run(load_through_restart(node, account, ids))
    finally:
        ensure_running()
    try:
        ok = [r for r in replies if r.ok]
        internal = [r for r in replies if r.code == "InternalError"]
        hung = [r for r in replies if r.failure is not None]
        not_json = [r for r in replies if r.failure is None and (r.status != 200 or not r.json)]
        other = [r.code for r in replies if r.json and r.code not in (None, "InternalError")]
        recovered = min((r.finished for r in ok if r.started > ended), default=None)
        tail = [r for r in replies if r.started > ended + 1.0]
        figure(
            capsys,
            f"PostgreSQL restart ({ended - began:.1f} s) under load: {len(replies)} calls, "
            f"{len(ok)} succeeded, {len(internal)} InternalError, other errors {len(other)}, "
            f"hung or dropped {len(hung)}, non-JSON {len(not_json)}; first success "
            f"{(recovered - ended) if recovered else float('nan'):.2f} s after PostgreSQL was "
            f"back; failures later than 1 s after: {sum(1 for r in tail if not r.ok)}",
        )
        assert hung == [] and not_json == [] and other == []
        assert internal, "the restart was not noticed: no InternalError at all"
        assert recovered is not None and recovered - ended < 5.0
        assert tail and all(r.ok for r in tail)
    finally:
        stop_server(node)
