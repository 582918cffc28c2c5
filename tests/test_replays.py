"""Replay protection: a signed v1 request is accepted once within its timestamp window."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from smssign.core.clock import FixedClock
from smssign.store.replays import MemoryReplays, RedisReplays
from tests.conftest import Server
from tests.dialects.tencent_legacy.wire import Legacy
from tests.dialects.tencent_v3.signing import error_code, tc3_post, v1_get
from tests.services import redis_url


def test_memory_cache_refuses_a_token_until_it_expires() -> None:
    clock = FixedClock(1_000_000.0)
    replays = MemoryReplays(clock)

    async def scenario() -> list[bool]:
        token = ("AKIDx", "42", "1000000")
        seen = [
            await replays.first_use("tencent_v3", token, 1_000_300.0),
            await replays.first_use("tencent_v3", token, 1_000_300.0),
            # The same token in another dialect's scope is a different token.
            await replays.first_use("tencent_legacy", token, 1_000_300.0),
        ]
        clock.advance(301)
        seen.append(await replays.first_use("tencent_v3", token, 1_000_601.0))
        return seen

    assert asyncio.run(scenario()) == [True, False, True, True]


def test_memory_cache_forgets_expired_tokens() -> None:
    clock = FixedClock(0.0)
    replays = MemoryReplays(clock)

    async def fill() -> None:
        for n in range(100):
            await replays.first_use("s", (str(n),), 10.0)
        clock.advance(11)
        await replays.first_use("s", ("last",), 30.0)

    asyncio.run(fill())
    assert len(replays) == 1


def test_redis_cache_is_shared_by_two_clients() -> None:
    from redis.asyncio import Redis

    url = redis_url()

    async def scenario() -> list[bool]:
        first, second = Redis.from_url(url), Redis.from_url(url)
        prefix = f"smssign-test-{secrets.token_hex(4)}"
        clock = FixedClock(time.time())
        try:
            node_a = RedisReplays(first, clock, prefix=prefix)
            node_b = RedisReplays(second, clock, prefix=prefix)
            token = ("AKIDx", secrets.token_hex(4), "1")
            return [
                await node_a.first_use("tencent_v3", token, clock.now() + 5),
                await node_b.first_use("tencent_v3", token, clock.now() + 5),
                await node_b.first_use("tencent_v3", (*token[:2], "2"), clock.now() + 5),
            ]
        finally:
            await first.aclose()
            await second.aclose()

    assert asyncio.run(scenario()) == [True, False, True]


def _describe(server: Server, account: dict[str, Any], **kwargs: Any) -> str | None:
    tencent = account["tencent"]
    return error_code(
        v1_get(
            server.url,
            tencent["secret_id"],
            tencent["secret_key"],
            "DescribeSmsSignList",
            {"International": "0"},
            **kwargs,
        )
    )


def test_a_replayed_v1_request_is_refused(server: Server, account: dict[str, Any]) -> None:
    now = int(time.time())
    nonce = str(secrets.randbelow(10**9) + 1)
    assert _describe(server, account, nonce=nonce, timestamp=now) is None
    assert _describe(server, account, nonce=nonce, timestamp=now) == "AuthFailure.SignatureFailure"
    # A new Nonce, or the same Nonce at another Timestamp, is a new request.
    assert _describe(server, account, nonce=str(int(nonce) + 1), timestamp=now) is None
    assert _describe(server, account, nonce=nonce, timestamp=now - 1) is None


def test_a_request_with_a_bad_signature_does_not_use_up_its_nonce(
    server: Server, account: dict[str, Any]
) -> None:
    now = int(time.time())
    nonce = str(secrets.randbelow(10**9) + 1)
    forged = dict(account, tencent={**account["tencent"], "secret_key": "wrong"})
    assert _describe(server, forged, nonce=nonce, timestamp=now) == "AuthFailure.SignatureFailure"
    assert _describe(server, account, nonce=nonce, timestamp=now) is None


def test_tc3_requests_carry_no_nonce_and_repeat_freely(
    server: Server, account: dict[str, Any]
) -> None:
    tencent = account["tencent"]
    now = int(time.time())
    for _ in range(2):
        reply = tc3_post(
            server.url,
            tencent["secret_id"],
            tencent["secret_key"],
            "DescribeSmsSignList",
            {"International": 0},
            timestamp=now,
        )
        assert error_code(reply) is None


def test_a_legacy_sig_cannot_carry_a_second_body(server: Server, account: dict[str, Any]) -> None:
    legacy = Legacy(server, account)
    now, rand = int(time.time()), str(secrets.randbelow(900000) + 100000)
    first = legacy.post("get_sign", {"sign_id": [1]}, now=now, rand=rand)
    # The sig covers appkey, random and time only: the same ones with another body.
    second = legacy.post("del_sign", {"sign_id": [1]}, now=now, rand=rand)
    fresh = legacy.post("get_sign", {"sign_id": [1]}, now=now, rand=str(int(rand) + 1))
    assert (first.result, second.result, fresh.result) == (0, 1001, 0)
