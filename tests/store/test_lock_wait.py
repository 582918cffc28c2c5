"""A bounded wait for the database: while another process holds SQLite's write lock, a
ModifySmsSign answers InternalError within the configured bound, and once the lock is
free that refused modification is never applied.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tests.backoffice import add_signature, describe, modify_signature, tencent
from tests.conftest import Server, start_server, stop_server
from tests.samples import OTHER_PNG_B64

LOCK_TIMEOUT = 2.0
"""SMSSIGN_DATABASE_LOCK_TIMEOUT for this server (the default is 5 s)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("lock-wait")
    s = start_server(
        directory,
        "--no-rate-limit",
        env={"SMSSIGN_DATABASE_LOCK_TIMEOUT": str(LOCK_TIMEOUT)},
        database_url=f"sqlite:///{directory / 'smssign.db'}",
    )
    yield s
    stop_server(s)


def hold_write_lock(server: Server) -> sqlite3.Connection:
    """Another process's writer (the CLI, a second node) in the middle of a transaction."""
    path = server.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, timeout=10, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def modify_refused(client: Any, sign_id: int, name: str) -> tuple[str, float]:
    """The error code a ModifySmsSign got, and how long it took to get it."""
    started = time.monotonic()
    with pytest.raises(TencentCloudSDKException) as refused:
        modify_signature(client, sign_id, name, proof=OTHER_PNG_B64)
    return str(refused.value.code), time.monotonic() - started


def test_writes_that_cannot_get_the_lock_are_refused_and_never_applied(
    server: Server, account: dict[str, Any]
) -> None:
    client = tencent(server, account)
    ids = [add_signature(client, f"锁等待签名{n}") for n in range(3)]
    before = server.row_counts()

    holder = hold_write_lock(server)
    try:
        # Three writers queued behind each other: none waits longer than the bound.
        with ThreadPoolExecutor(max_workers=3) as pool:
            outcomes = list(
                pool.map(lambda sign_id: modify_refused(client, sign_id, "锁等待改名"), ids)
            )
    finally:
        holder.rollback()
        holder.close()
    assert [code for code, _ in outcomes] == ["InternalError"] * 3
    # Within the bound (well inside the SDK's 60 s), plus the request's own work.
    assert all(LOCK_TIMEOUT - 0.5 <= waited < LOCK_TIMEOUT + 3 for _, waited in outcomes)

    # The next write goes through; the writer queue is past anything still waiting.
    other = add_signature(client, "锁释放后签名")
    assert [describe(client, i)["SignName"] for i in ids] == [f"锁等待签名{n}" for n in range(3)]
    after = server.row_counts()
    assert after["applications"] == before["applications"] + 1
    assert after["events"] == before["events"] + 1
    assert other not in ids

    # And the same modification, sent again with the lock free, is applied.
    modify_signature(client, ids[0], "锁等待改名", proof=OTHER_PNG_B64)
    assert describe(client, ids[0])["SignName"] == "锁等待改名"
