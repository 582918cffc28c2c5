"""Operators in-process on a pinned clock: passwords, lock-out windows, sessions, tokens."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal, TypeVar

import pytest
from argon2 import PasswordHasher

from smssign.app.runtime import open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.operators import LoginRefused, OperatorService
from smssign.backoffice.passwords import PasswordHashing
from smssign.backoffice.webhooks import render_event
from smssign.core import errors
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.store.backoffice import BackofficeStore

T = TypeVar("T")
START = 1_800_000_000.0
# Cheap hashing keeps these tests fast; the server uses argon2's defaults.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def run(tmp_path: Path, scenario: Callable[[OperatorService, FixedClock], Awaitable[T]]) -> T:
    async def main() -> T:
        clock = FixedClock(START)
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path)
        async with open_runtime(settings, clock=clock, randomness=SeededRandomness(1)) as rt:
            store = BackofficeStore(rt.repository.engine, render_event)
            service = OperatorService(store, clock, rt.randomness, hasher=FAST)
            return await scenario(service, clock)

    return asyncio.run(main())


def test_passwords_are_argon2_hashes(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> str:
        await service.create("alice", "s3cret-password")
        found = await service.store.operator_named("alice")
        assert found is not None
        return found[1]

    stored = run(tmp_path, scenario)
    assert stored.startswith("$argon2id$")
    assert "s3cret-password" not in stored


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [
        ("auto-review", "long enough", "name"),
        ("CLI", "long enough", "name"),
        ("has space", "long enough", "name"),
        ("-dash", "long enough", "name"),
        ("x" * 65, "long enough", "name"),
        ("alice", "short", "password"),
    ],
)
def test_names_and_passwords_are_checked(
    tmp_path: Path, name: str, password: str, field: str
) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        with pytest.raises(errors.InvalidSubmission) as raised:
            await service.create(name, password)
        assert raised.value.field == field

    run(tmp_path, scenario)


def test_duplicate_names_conflict(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("alice", "password one")
        with pytest.raises(errors.Conflict):
            await service.create("alice", "password two")

    run(tmp_path, scenario)


def test_lockout_lasts_for_the_window(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("alice", "right password")
        for attempt in range(5):
            with pytest.raises(LoginRefused) as refused:
                await service.login("alice", "wrong", "10.0.0.1")
            assert refused.value.locked is (attempt == 4)
            clock.advance(10)
        with pytest.raises(LoginRefused) as refused:
            await service.login("alice", "right password", "10.0.0.1")
        assert refused.value.locked
        # Fifteen minutes after the first failure it starts to count down.
        clock.advance(15 * 60 - 50)
        session, _ = await service.login("alice", "right password", "10.0.0.1")
        assert session.operator.name == "alice"
        # Success clears the count: four more failures do not lock.
        for _ in range(4):
            with pytest.raises(LoginRefused):
                await service.login("alice", "wrong", None)
        await service.login("alice", "right password", None)

    run(tmp_path, scenario)


def test_unknown_names_lock_too(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        for _ in range(5):
            with pytest.raises(LoginRefused):
                await service.login("nobody", "x", None)
        with pytest.raises(LoginRefused) as refused:
            await service.login("nobody", "x", None)
        assert refused.value.locked

    run(tmp_path, scenario)


def test_sessions_expire_and_end_at_logout(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("alice", "right password")
        _, first = await service.login("alice", "right password", None)
        _, second = await service.login("alice", "right password", None)
        assert await service.session(first) is not None
        await service.logout(first)
        assert await service.session(first) is None
        assert await service.session(second) is not None
        clock.advance(12 * 3600 + 1)
        assert await service.session(second) is None
        assert await service.session("made-up") is None

    run(tmp_path, scenario)


def test_tokens_authenticate_their_operator(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("robot", "right password")
        token = await service.issue_token("robot", "ci")
        assert token.startswith("smssign_")
        operator = await service.authenticate_token(token)
        assert operator is not None and operator.name == "robot"
        assert await service.authenticate_token(token + "x") is None
        assert await service.authenticate_token("smssign_" + "0" * 64) is None
        with pytest.raises(errors.NotFound):
            await service.issue_token("nobody")
        stored = await service.store.operator_named("robot")
        assert stored is not None and token not in stored[1]

    run(tmp_path, scenario)


class CountingHasher(PasswordHasher):
    """FAST, and counts the checks and the threads they ran on."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks = 0
        self.threads: set[str] = set()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.checks += 1
        self.threads.add(threading.current_thread().name)
        return super().verify(hash, password)


def run_with(
    tmp_path: Path,
    hasher: PasswordHasher,
    hashing: PasswordHashing,
    scenario: Callable[[OperatorService, FixedClock], Awaitable[T]],
) -> T:
    async def main() -> T:
        clock = FixedClock(START)
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path)
        async with open_runtime(settings, clock=clock, randomness=SeededRandomness(1)) as rt:
            store = BackofficeStore(rt.repository.engine, render_event)
            service = OperatorService(store, clock, rt.randomness, hasher=hasher, hashing=hashing)
            try:
                return await scenario(service, clock)
            finally:
                service.close()

    return asyncio.run(main())


async def outcome(attempt: Awaitable[object]) -> str:
    try:
        await attempt
    except LoginRefused as refused:
        return str(refused)
    return "logged in"


def test_a_burst_of_wrong_passwords_gets_only_the_policys_checks(tmp_path: Path) -> None:
    """100 concurrent guesses for one name: 5 are checked; a right password among them is not."""
    hasher = CountingHasher()

    async def scenario(service: OperatorService, clock: FixedClock) -> list[str]:
        await service.create("alice", "right password")
        burst = [service.login("alice", f"guess {n}", f"10.0.{n}.1") for n in range(100)]
        burst.append(service.login("alice", "right password", "10.0.200.1"))
        results = await asyncio.gather(*(outcome(a) for a in burst))
        clock.advance(15 * 60 + 1)
        results.append(await outcome(service.login("alice", "right password", "10.0.200.1")))
        return results

    results = run_with(tmp_path, hasher, PasswordHashing(workers=2, waiting=500), scenario)
    assert hasher.checks == 5 + 1  # the five guesses, then the login after the window
    locked = "too many failed logins; try again later"
    assert set(results[:100]) <= {"wrong name or password", locked}
    assert results[100] == locked
    assert results[101] == "logged in"
    assert all(name.startswith("smssign-passwords") for name in hasher.threads)


def test_hashing_is_bounded_and_refuses_past_its_queue(tmp_path: Path) -> None:
    hasher = CountingHasher()

    async def scenario(service: OperatorService, clock: FixedClock) -> list[str]:
        await service.create("alice", "right password")
        burst = [service.login("alice", "right password", f"10.0.0.{n}") for n in range(4)]
        return await asyncio.gather(*(outcome(a) for a in burst))

    results = run_with(tmp_path, hasher, PasswordHashing(workers=1, waiting=1), scenario)
    assert results.count("logged in") == 2
    assert results.count("too many logins at once; try again in a moment") == 2
    assert hasher.checks == 2
    # Never on the default executor that storage I/O uses.
    assert all(name.startswith("smssign-passwords") for name in hasher.threads)


def test_one_address_trying_many_names_is_held_back(tmp_path: Path) -> None:
    hasher = CountingHasher()

    async def scenario(service: OperatorService, clock: FixedClock) -> list[str]:
        await service.create("alice", "right password")
        results = [
            await outcome(service.login(f"random-{n}", "guess", "192.0.2.9")) for n in range(21)
        ]
        results.append(await outcome(service.login("alice", "right password", "192.0.2.9")))
        results.append(await outcome(service.login("alice", "right password", "192.0.2.10")))
        return results

    results = run_with(tmp_path, hasher, PasswordHashing(), scenario)
    assert results[:20] == ["wrong name or password"] * 20
    held = "too many failed logins from your address; try again later"
    assert results[20:22] == [held, held]
    assert results[22] == "logged in"
    assert hasher.checks == 21


def test_a_password_change_ends_the_operators_sessions(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("alice", "old password")
        await service.create("bob", "bobs password")
        _, alice = await service.login("alice", "old password", None)
        _, bob = await service.login("bob", "bobs password", None)
        token = await service.issue_token("alice", "ci")
        await service.set_password("alice", "new password")
        assert await service.session(alice) is None
        assert await service.session(bob) is not None
        assert await service.authenticate_token(token) is not None
        with pytest.raises(LoginRefused):
            await service.login("alice", "old password", None)
        _, fresh = await service.login("alice", "new password", None)
        assert await service.session(fresh) is not None

    run(tmp_path, scenario)


def test_disabling_ends_sessions_and_tokens_at_once(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("alice", "right password")
        _, session = await service.login("alice", "right password", None)
        token = await service.issue_token("alice", "ci")
        await service.disable("alice")
        assert await service.session(session) is None
        assert await service.authenticate_token(token) is None
        with pytest.raises(LoginRefused):
            await service.login("alice", "right password", None)
        listed = await service.tokens("alice")
        assert [k.state(clock.now()) for k in listed] == ["revoked"]
        # Enabling lets the operator log in again; what disable ended stays ended.
        await service.enable("alice")
        assert await service.authenticate_token(token) is None
        assert await service.session(session) is None
        await service.login("alice", "right password", None)
        with pytest.raises(errors.NotFound):
            await service.disable("nobody")

    run(tmp_path, scenario)


def test_tokens_expire_and_are_revoked_one_by_one(tmp_path: Path) -> None:
    async def scenario(service: OperatorService, clock: FixedClock) -> None:
        await service.create("robot", "right password")
        short = await service.issue_token("robot", "short", expires_in_days=1)
        kept = await service.issue_token("robot", "kept")
        doomed = await service.issue_token("robot", "doomed")
        listed = await service.tokens("robot")
        assert [(k.label, k.expires_at) for k in listed] == [
            ("short", START + 86400),
            ("kept", None),
            ("doomed", None),
        ]
        revoked = await service.revoke_token(listed[2].id)
        assert (revoked.label, revoked.revoked_at) == ("doomed", START)
        assert await service.authenticate_token(doomed) is None
        assert await service.authenticate_token(short) is not None
        clock.advance(86400)
        assert await service.authenticate_token(short) is None
        assert await service.authenticate_token(kept) is not None
        states = [k.state(clock.now()) for k in await service.tokens("robot")]
        assert states == ["expired", "active", "revoked"]
        with pytest.raises(errors.NotFound):
            await service.revoke_token(9999)
        with pytest.raises(errors.InvalidSubmission):
            await service.issue_token("robot", expires_in_days=0)

    run(tmp_path, scenario)
