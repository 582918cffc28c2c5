"""Operators in-process on a pinned clock: passwords, lock-out windows, sessions, tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from argon2 import PasswordHasher

from smssign.app.runtime import open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.operators import LoginRefused, OperatorService
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
