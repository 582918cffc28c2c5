"""Fuzzed sending and pulling: every reply is the legacy envelope, and nothing changes.

The fuzz account has an approved signature and template but a balance of zero, so no
fuzzed send can be accepted however well formed: each is refused somewhere (its fields,
the template, the number, the balance) and must leave every row as it was. Requests are
signed over the numbers they carry, as a client would sign them, so that the fuzzing
reaches past the sig check.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clients.qcloudsms import Sdk, approved_signature, template
from tests.conftest import Server
from tests.dialects.tencent_legacy.wire import Legacy, numbers_part

MEDIA_TYPE = "application/json; charset=utf-8"
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nine times in ten a value of the right shape, else any JSON value (a plain one_of
    would draw the malformed branch far more often than its share)."""
    return st.integers(0, 9).flatmap(lambda n: json_values if n == 0 else valid)


mobiles = st.sampled_from(["13800138000", "13900000009", "13800138001", "", "1380013800x"])
nationcodes = st.sampled_from(["86", "86", "1", "", "+86"]) | st.integers(0, 999)
tels = st.fixed_dictionaries({"nationcode": nationcodes, "mobile": mobiles | st.integers(0, 2**40)})


def bodies(approved: int, pending: int) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    kinds = mostly(st.sampled_from([0, 1, 0, 1, 2, -1]))
    ids = st.sampled_from([approved, approved, pending, 0, -1, 2**63]) | st.integers()
    extras = {
        "sign": mostly(st.sampled_from(["", "腾讯云", "腾讯云", "别的签名"])),
        "ext": mostly(st.text(max_size=8)),
        "extend": mostly(st.text(max_size=4)),
    }
    by_template = st.fixed_dictionaries(
        {
            "tpl_id": mostly(ids | ids.map(str)),
            "params": mostly(st.lists(st.text(max_size=8) | st.integers(), max_size=3)),
        },
        optional={**extras, "msg": st.just(None) | json_values},
    )
    by_text = st.fixed_dictionaries(
        {"msg": mostly(st.sampled_from(["【腾讯云】验证码1234", "验证码42", "【】", "", "x"]))},
        optional={**extras, "type": kinds, "tpl_id": st.just(None) | json_values},
    )
    content = by_template | by_text
    size = mostly(st.sampled_from([1, 10, 100, 0, 101]))
    times = mostly(st.integers(-5, 2**40))
    pull = st.fixed_dictionaries({"type": kinds, "max": size})
    by_number = st.fixed_dictionaries(
        {
            "type": kinds,
            "max": size,
            "begin_time": mostly(st.integers(-5, 1000)),
            "end_time": times,
            "nationcode": mostly(nationcodes),
            "mobile": mostly(mobiles),
        }
    )

    def send(name: str, tel: st.SearchStrategy[Any]) -> Any:
        return st.tuples(
            st.just(name), st.tuples(tel, content).map(lambda t: {"tel": t[0], **t[1]})
        )

    return st.one_of(
        send("sendsms", mostly(tels)),
        send("sendisms", mostly(st.sampled_from(["+8613800138000", "+15005550100", "+1"]))),
        send("sendmultisms2", mostly(st.lists(mostly(tels), min_size=1, max_size=4))),
        st.tuples(st.just("pullstatus"), pull),
        st.tuples(st.just("pullstatus4mobile"), by_number),
    )


@pytest.fixture(scope="module")
def target(server: Server) -> tuple[Legacy, int, int, int]:
    account = server.create_account()
    approved_signature(server, Sdk(server, account), "腾讯云")
    approved = template(server, int(account["id"]), "验证码{1}")
    pending = template(server, int(account["id"]), "待审{1}", approve=False)
    server.run(
        lambda rt: rt.repository.change_sending(int(account["id"]), balance=0, frequency=None)
    )
    return Legacy(server, account), int(account["id"]), approved, pending


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def test_fuzzed_sends_and_pulls(
    server: Server, target: tuple[Legacy, int, int, int], http: httpx.Client
) -> None:
    legacy, account_id, approved, pending = target
    before = server.row_counts()
    counter = itertools.count(100000)

    @FUZZ
    @given(
        call=bodies(approved, pending),
        extra=st.dictionaries(st.text(max_size=6), json_values, max_size=2),
    )
    def run(call: tuple[str, dict[str, Any]], extra: dict[str, Any]) -> None:
        action, body = call
        body = {**extra, **body}
        # A fresh random each time: a repeated (random, time) is refused as a replay.
        rand = str(next(counter))
        signed = legacy.body(body, rand=rand, numbers=_signable(action, body))
        response = http.post(
            f"{server.url}/v5/tlssmssvr/{action}?sdkappid={legacy.sdkappid}&random={rand}",
            content=signed,
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == MEDIA_TYPE
        reply = response.json()
        assert isinstance(reply["result"], int), reply
        assert isinstance(reply["errmsg"], str) and reply["errmsg"] == reply["msg"]
        if action == "sendmultisms2" and reply["result"] == 0:
            assert reply["detail"] and all(d["result"] != 0 for d in reply["detail"]), reply
            assert all(isinstance(d["sid"], str) and d["fee"] == 0 for d in reply["detail"])
        elif action.startswith("send"):
            assert reply["result"] != 0, (action, body, reply)
        elif reply["result"] == 0:
            assert reply["count"] == 0 and reply["data"] == [], reply

    run()
    assert server.row_counts() == before
    settings_after = server.run(lambda rt: rt.repository.sending_settings(account_id))
    assert settings_after is not None and settings_after.balance == 0


def _signable(action: str, body: dict[str, Any]) -> str:
    """The numbers part a client would sign; "" where the body has none it could sign."""
    try:
        return numbers_part(action, body)
    except (AttributeError, TypeError):
        return ""
