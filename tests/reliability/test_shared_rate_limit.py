"""Two nodes on one Redis: an account's calls per second per action, summed over both.

Clients hammer DescribeSmsSignList (20/s) and ModifySmsSign (1/s) through both nodes for
a few seconds. A call is counted in a one-second window only if it was both sent and
answered inside it, so the count can only be lower than the server's: a window over the
limit is a real breach. Also: a v1 request replayed to the other node is refused.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server, stop_server
from tests.dialects.tencent_v3.signing import error_code, v1_get
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
from tests.services import redis_url

SECONDS = 3.0
WORKERS_PER_ACTION = 6
LIMITS = {"DescribeSmsSignList": 20, "ModifySmsSign": 1}


async def hammer(
    nodes: list[Server], account: dict[str, Any], sign_id: int
) -> dict[str, list[tuple[int, Reply]]]:
    deadline = time.monotonic() + SECONDS
    seen: dict[str, list[tuple[int, Reply]]] = {action: [] for action in LIMITS}

    async def worker(http: Any, action: str, n: int) -> None:
        sent = 0
        while time.monotonic() < deadline and sent < 2000:
            node = (n + sent) % len(nodes)
            payload = (
                {"International": 0}
                if action == "DescribeSmsSignList"
                else modify(sign_id, f"限速{n}x{sent}")
            )
            version = V2019 if action == "ModifySmsSign" else "2021-01-11"
            reply = await call(http, nodes[node].url, account, action, payload, version=version)
            seen[action].append((node, reply))
            sent += 1

    async with client(connections=2 * WORKERS_PER_ACTION) as http:
        await asyncio.gather(
            *(worker(http, action, n) for action in LIMITS for n in range(WORKERS_PER_ACTION))
        )
    return seen


def busiest_second(replies: list[Reply]) -> int:
    """Most successes sent and answered within any one-second window."""
    spans = sorted((r.started, r.finished) for r in replies if r.ok)
    return max(
        (sum(1 for s, f in spans if start <= s and f <= start + 1.0) for start, _ in spans),
        default=0,
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two nodes on one database and one Redis, rate limits on."""
    base = tmp_path_factory.mktemp("pair")
    url = fresh_postgres()
    flags = ("--redis", redis_url(), "--redis-prefix", f"reliability-{secrets.token_hex(4)}")
    nodes = []
    try:
        for name in ("a", "b"):
            nodes.append(start_node(base, name, url, *flags))
        yield nodes
    finally:
        for node in nodes:
            stop_server(node)


@pytest.mark.slow
def test_rate_limits_hold_across_two_nodes(
    pair: list[Server], capsys: pytest.CaptureFixture[str]
) -> None:
    account = pair[0].create_account()
    [sign_id] = add_signatures(pair[0], account["id"], ["限速签名"])
    seen = asyncio.run(hammer(pair, account, sign_id))

    parts = []
    for action, limit in LIMITS.items():
        replies = [r for _, r in seen[action]]
        ok_by_node = [sum(1 for node, r in seen[action] if node == i and r.ok) for i in (0, 1)]
        limited = sum(1 for r in replies if r.code == "RequestLimitExceeded")
        other = [r.code for r in replies if not r.ok and r.code != "RequestLimitExceeded"]
        busiest = busiest_second(replies)
        parts.append(
            f"{action} limit {limit}/s: busiest second {busiest}, accepted "
            f"{ok_by_node[0]}+{ok_by_node[1]} by the two nodes, limited {limited}"
        )
        assert busiest <= limit
        assert other == []
        assert limited > 0 and sum(ok_by_node) >= limit
        # Over the whole run: at most the limit in each started second.
        assert sum(ok_by_node) <= limit * (int(SECONDS) + 2)
    figure(capsys, f"2 nodes on one Redis for {SECONDS:.0f} s: " + "; ".join(parts))


@pytest.mark.slow
def test_a_v1_request_replayed_to_the_other_node_is_refused(
    pair: list[Server], capsys: pytest.CaptureFixture[str]
) -> None:
    account = pair[0].create_account()
    tencent = account["tencent"]
    now, nonce = int(time.time()), str(secrets.randbelow(10**9) + 1)
    codes = [
        error_code(
            v1_get(
                node.url,
                tencent["secret_id"],
                tencent["secret_key"],
                "DescribeSmsSignList",
                {"International": "0"},
                nonce=nonce,
                timestamp=now,
            )
        )
        for node in pair
    ]
    figure(
        capsys,
        f"v1 replay across nodes: first node {codes[0] or 'Success'}, second node {codes[1]}",
    )
    assert codes == [None, "AuthFailure.SignatureFailure"]
