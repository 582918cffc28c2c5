"""The inbox's `total` is counted up to a bound, so that a store of millions answers fast."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from smssign.app.runtime import open_runtime
from smssign.app.settings import Settings
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.ports import MessageFilter
from smssign.store import messages as store_messages
from tests.core.test_retention import START
from tests.core.test_sending import ready_account, request


def test_total_is_exact_below_the_bound_and_stops_at_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_messages, "MOST_COUNTED", 4)

    async def run() -> None:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}", data_dir=tmp_path)
        async with open_runtime(
            settings, clock=FixedClock(START), randomness=SeededRandomness(2)
        ) as runtime:
            account, template_id = await ready_account(runtime)
            numbers = [f"1380013800{n}" for n in range(6)]
            await runtime.sending.send(account, request(template_id, *numbers, dialect="t"))
            one = MessageFilter(mobile="+8613800138001")
            assert (await runtime.sending.messages(one, limit=50))[1] == 1
            found, total = await runtime.sending.messages(MessageFilter(), limit=50)
            assert len(found) == 6 and total == 4

    asyncio.run(run())
