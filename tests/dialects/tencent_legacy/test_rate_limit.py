"""With the default rate limits on, a burst of legacy calls is refused with result 1013."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server, stop_server
from tests.dialects.tencent_legacy.wire import Legacy


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("limited"))
    yield server
    stop_server(server)


def test_burst_of_adds_hits_1013_per_account(limited: Server) -> None:
    busy = Legacy(limited, limited.create_account())
    answers = [busy.post("add_sign", {}) for _ in range(8)]
    # Under the limit the request gets as far as its fields (1004: text missing).
    assert answers[0].result == 1004
    refused = [a for a in answers if a.result == 1013]
    assert refused, [a.body for a in answers]
    assert refused[0].status == 200 and refused[0].body["errmsg"] == refused[0].body["msg"]
    assert Legacy(limited, limited.create_account()).post("add_sign", {}).result == 1004


@pytest.mark.parametrize("action", ["add_template", "mod_template", "del_template"])
def test_burst_of_template_writes_hits_1013(limited: Server, action: str) -> None:
    busy = Legacy(limited, limited.create_account())
    answers = [busy.post(action, {}) for _ in range(8)]
    assert answers[0].result == 1004
    assert any(a.result == 1013 for a in answers), [a.body for a in answers]
