"""With the default rate limits on, a burst of Yunpian calls is refused with code -5."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server, stop_server
from tests.dialects.yunpian.wire import Yunpian, assert_error


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("limited"))
    yield server
    stop_server(server)


def test_burst_of_adds_hits_minus_5_per_account(limited: Server) -> None:
    busy = Yunpian(limited, limited.create_account())
    answers = [busy.post("add.json", {}) for _ in range(8)]
    # Under the limit the request gets as far as its parameters (code 1: sign missing).
    assert answers[0].code == 1
    refused = [a for a in answers if a.code == -5]
    assert refused, [a.body for a in answers]
    assert_error(refused[0], -5)
    # Another account has its own count.
    assert Yunpian(limited, limited.create_account()).post("add.json", {}).code == 1


@pytest.mark.parametrize("action", ["add.json", "update.json", "del.json"])
def test_burst_of_template_writes_hits_minus_5(limited: Server, action: str) -> None:
    busy = Yunpian(limited, limited.create_account())
    answers = [busy.post(action, {}, under="tpl") for _ in range(8)]
    # Under the limit the request gets as far as its parameters (code 1).
    assert answers[0].code == 1
    refused = [a for a in answers if a.code == -5]
    assert refused, [a.body for a in answers]
    assert_error(refused[0], -5)
