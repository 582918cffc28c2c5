"""Fuzzed sends, pulls and balance reads on the Yunpian paths: every reply is one of
Yunpian's shapes, never a 500, and nothing changes.

The fuzz account has an approved signature and approved templates but a balance of zero,
so no fuzzed send can be accepted however well formed: each is refused somewhere (its
fields, the template match, the numbers, the balance) and must leave the messages, the
events and the balance as they were. The forms are drawn from the actions' own parameter
tables (send_params.ACTIONS), with values near the valid ones, so that the fuzzing reaches
past the parsing into the sending core.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smssign.dialects.yunpian import send_params
from smssign.dialects.yunpian.send_actions import ROUTES
from tests.conftest import Server
from tests.dialects.yunpian.sending import SIGN, Sender, ready
from tests.dialects.yunpian.wire import MEDIA_TYPE

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PATHS = {action: path for path, action in ROUTES.items()}

texts = st.text(max_size=20)
mobiles = st.lists(
    st.sampled_from(["13800138000", "+8613800138001", "13900000009", "1380013800", "+1415", ""])
    | texts,
    min_size=1,
    max_size=4,
).map(",".join)
sent_texts = (
    st.sampled_from(
        [
            f"【{SIGN}】您的验证码是1234，5分钟内有效。",
            f"【{SIGN}】您的订单A1已发货，快递单号9。",
            "您的验证码是1234，5分钟内有效。",
            f"【{SIGN}】不匹配的文本",
        ]
    )
    | texts
)


def values(kind: send_params.Kind, tpl_ids: list[int]) -> st.SearchStrategy[str]:
    match kind:
        case send_params.Kind.MOBILES:
            return mobiles
        case send_params.Kind.TEXT:
            return sent_texts
        case send_params.Kind.TEXTS:
            return st.lists(sent_texts.map(quote), min_size=1, max_size=3).map(",".join) | texts
        case send_params.Kind.TPL_ID:
            return st.sampled_from([*map(str, tpl_ids), "0", "-1", "2" * 30]) | texts
        case send_params.Kind.TPL_VALUE:
            encoded = [
                urlencode({"#code#": "1234"}),
                urlencode({"#order#": "A1", "#number#": "9"}),
                urlencode({"#x#": "1"}),
                "#code#",
            ]
            return st.sampled_from(encoded) | texts
        case send_params.Kind.PAGE_SIZE:
            return st.integers(-1, 101).map(str) | texts
        case send_params.Kind.BOOLEAN:
            return st.sampled_from(["true", "false", "1", "yes", ""]) | texts
        case send_params.Kind.URL:
            return st.sampled_from(["http://127.0.0.1:9/cb", "ftp://x", ""]) | texts
        case send_params.Kind.EXTEND:
            return st.sampled_from(["01", "1" * 21, "ab"]) | texts
        case send_params.Kind.UID:
            return st.just("u" * 257) | texts
    raise AssertionError(kind)


def form_for(action: str, tpl_ids: list[int]) -> st.SearchStrategy[list[tuple[str, str]]]:
    table = send_params.ACTIONS[action]

    def pair(p: send_params.Param) -> st.SearchStrategy[tuple[str, str]]:
        return st.tuples(st.just(p.name), values(p.kind, tpl_ids))

    # The required parameters first, each present (most of the time) so that the fuzzing
    # reaches past "missing"; then any of the action's parameters and unknown names.
    required = [p for p in table if p.required]
    leading = st.tuples(*[pair(p) for p in required]).map(list) if required else st.just([])
    unknown = st.tuples(texts, texts)
    rest = st.lists(
        (st.sampled_from(table).flatmap(pair) | unknown) if table else unknown, max_size=6
    )
    return st.tuples(leading, rest).map(lambda parts: [*parts[0], *parts[1]])


def state(server: Server, sender: Sender) -> tuple[int, int, int | None]:
    """The account's messages, all events and the account's balance."""

    async def read(rt: Any) -> tuple[int, int | None]:
        settings = await rt.sending.repository.sending_settings(sender.account_id)
        return len(await rt.repository.events()), settings and settings.balance

    events, balance = server.run(read)
    return len(sender.messages()), events, balance


def check_reply(action: str, response: httpx.Response) -> None:
    assert response.status_code in (200, 400, 404), response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    if response.status_code != 200:
        assert body["http_status_code"] == response.status_code
        assert isinstance(body["code"], int) and body["code"] != 0
        assert isinstance(body["msg"], str) and isinstance(body["detail"], str)
        return
    # A zero balance refuses every send: a batch answers 200 with every number refused,
    # a single send answers an error; only the reads succeed.
    if action in ("batch_send", "multi_send", "tpl_batch_send"):
        assert body["total_count"] == 0 and body["total_fee"] == "0.0000", body
        assert body["data"] and all(item["code"] != 0 for item in body["data"]), body
        return
    assert action in ("pull_status", "pull_reply", "user_get"), body
    if action == "user_get":
        assert body["balance"] == 0.0
    else:
        assert body == []


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def sender(server: Server) -> Sender:
    ready_sender = ready(server)
    ready_sender.set_sending(balance=0)
    return ready_sender


def test_fuzzed_sends_and_pulls_change_nothing(
    server: Server, sender: Sender, http: httpx.Client
) -> None:
    tpl_ids = [sender.code_id, sender.notice_id, sender.pending_id]
    before = state(server, sender)
    actions = st.sampled_from(sorted(send_params.ACTIONS))

    @FUZZ
    @given(call=actions.flatmap(lambda a: st.tuples(st.just(a), form_for(a, tpl_ids))))
    def run(call: tuple[str, list[tuple[str, str]]]) -> None:
        action, pairs = call
        response = http.post(
            f"{server.url}/v2/{PATHS[action]}",
            content=urlencode([*pairs, ("apikey", sender.apikey)]).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        check_reply(action, response)

    run()
    assert state(server, sender) == before
