"""No request to the legacy paths crashes, answers other than HTTP 200, or changes a row.

The fuzz account holds one approved signature and a quota of one, so no fuzzed sign write
can legitimately succeed: adds hit the quota (or the duplicate name), modifications hit the
approved signature or an id that is not theirs, and deletions of that one id are excluded.
Template writes can succeed (a fuzzed text may be a valid template), so the template test
checks each refused request against the rows just before it.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smssign.core.model import Status
from smssign.dialects.tencent_legacy import params
from tests.conftest import Server
from tests.dialects.tencent_legacy.wire import Legacy
from tests.samples import PNG_B64

MEDIA_TYPE = "application/json; charset=utf-8"
FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def field_values(approved_id: int) -> dict[str, st.SearchStrategy[Any]]:
    ids = st.integers(min_value=-5, max_value=approved_id + 5)
    return {
        "text": st.text(max_size=16)
        | st.sampled_from(["腾讯科技", "已通过签名", "【腾讯】", ""])
        | json_values,
        "remark": st.text(max_size=10) | json_values,
        "pic": st.sampled_from(["", PNG_B64, "data:image/png;base64," + PNG_B64, "abcd"])
        | json_values,
        "international": st.integers(min_value=-1, max_value=2) | json_values,
        "sign_id": ids | st.lists(ids, max_size=4) | st.just(str(approved_id)) | json_values,
        "sign_page": st.fixed_dictionaries(
            {"max": st.integers(-1, 60), "offset": st.integers(-1, 5)}
        )
        | json_values,
    }


def touches(value: Any, sign_id: int) -> bool:
    """Whether a fuzzed sign_id could name `sign_id` (as a number, a string, or inside a list)."""
    if isinstance(value, list):
        return any(touches(item, sign_id) for item in value)
    if isinstance(value, bool):
        return False
    return value == sign_id or (isinstance(value, str) and value.strip() == str(sign_id))


def rows(server: Server) -> tuple[list[Any], int]:
    async def read(rt: Any) -> tuple[list[Any], int]:
        signatures = await rt.repository.signatures_with_status(list(Status))
        return signatures, len(await rt.repository.events())

    return server.run(read)


def assert_envelope(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert isinstance(body["result"], int)
    assert isinstance(body["errmsg"], str) and body["errmsg"] == body["msg"]
    return body


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One keep-alive connection for all examples: the fuzzing is about bodies, not sockets."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def target(server: Server) -> tuple[Legacy, int]:
    account = server.create_account()
    legacy = Legacy(server, account)
    sign_id = int(legacy.call("add_sign", text="已通过签名")["data"]["id"])
    server.approve(sign_id)
    server.set_account(account["id"], signature_quota=1)
    return legacy, sign_id


def test_signed_requests_with_fuzzed_fields(
    server: Server, target: tuple[Legacy, int], http: httpx.Client
) -> None:
    legacy, approved_id = target
    before = rows(server)
    strategies = field_values(approved_id)

    # Each action's own fields from the dialect's table: required ones always sent.
    bodies = st.one_of(
        *[
            st.tuples(
                st.just(action),
                st.fixed_dictionaries(
                    {p.name: strategies[p.name] for p in table if p.required},
                    optional={p.name: strategies[p.name] for p in table if not p.required},
                ),
            )
            for action, table in params.ACTIONS.items()
            if action.endswith("_sign")
        ]
    )

    @FUZZ
    @given(call=bodies, extra=st.dictionaries(st.text(max_size=8), json_values, max_size=2))
    def run(call: tuple[str, dict[str, Any]], extra: dict[str, Any]) -> None:
        action, fields = call
        body = {**extra, **fields}
        if action == "del_sign":
            assume(not touches(body.get("sign_id"), approved_id))
        response = http.post(
            f"{server.url}/v5/tlssmssvr/{action}?sdkappid={legacy.sdkappid}&random=42",
            content=legacy.body(body, rand="42"),
        )
        result = assert_envelope(response)["result"]
        assert action == "get_sign" or result != 0, (action, body)

    run()
    assert rows(server) == before


def test_raw_requests_of_any_shape(
    server: Server, target: tuple[Legacy, int], http: httpx.Client
) -> None:
    legacy, _ = target
    before = rows(server)

    @FUZZ
    @given(
        prefix=st.sampled_from(["/v5/tlssmssvr/", "/v3/tlssmssvr/"]),
        action=st.sampled_from([*params.ACTIONS, "", "x", "add_sign/1", "get_template/1"]),
        method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS"]),
        query=st.sampled_from([f"sdkappid={legacy.sdkappid}&random=1", "sdkappid=1&random=1", ""])
        | st.text(max_size=20).map(
            lambda t: httpx.QueryParams({"sdkappid": t, "random": t}).__str__()
        ),
        body=st.binary(max_size=64)
        | json_values.map(lambda v: json.dumps(v).encode())
        | st.fixed_dictionaries(
            {"sig": json_values, "time": json_values | st.just(int(time.time()))}
        ).map(lambda v: json.dumps(v).encode()),
    )
    def run(prefix: str, action: str, method: str, query: str, body: bytes) -> None:
        response = http.request(method, f"{server.url}{prefix}{action}?{query}", content=body)
        assert assert_envelope(response)["result"] != 0

    run()
    assert rows(server) == before


def template_rows(server: Server, account_id: int) -> tuple[list[Any], int]:
    async def read(rt: Any) -> tuple[list[Any], int]:
        listed, _ = await rt.repository.template_page(
            account_id, international=None, offset=0, limit=None
        )
        return listed, len(await rt.repository.events())

    return server.run(read)


def template_values(approved_id: int) -> dict[str, st.SearchStrategy[Any]]:
    ids = st.integers(min_value=-5, max_value=approved_id + 5)
    return {
        "text": st.text(max_size=16)
        | st.sampled_from(["验证码{1}", "验证码{code}", "【腾讯】{1}", "{1}{2}", "x" * 501, ""])
        | json_values,
        "type": st.integers(min_value=-1, max_value=3) | json_values,
        "title": st.text(max_size=10) | json_values,
        "remark": st.text(max_size=10) | json_values,
        "international": st.integers(min_value=-1, max_value=2) | json_values,
        "tpl_id": ids | st.lists(ids, max_size=4) | st.just(str(approved_id)) | json_values,
        "tpl_page": st.fixed_dictionaries(
            {"max": st.integers(-1, 60), "offset": st.integers(-1, 5)}
        )
        | json_values,
    }


def test_signed_template_requests_with_fuzzed_fields(server: Server, http: httpx.Client) -> None:
    account = server.create_account()
    legacy = Legacy(server, account)
    legacy.call("add_sign", text="模板签名")
    approved_id = int(legacy.call("add_template", text="已通过{1}", type=0)["data"]["id"])
    server.review_template(approved_id, "approved")
    strategies = template_values(approved_id)
    randoms = itertools.count(1000)
    bodies = st.one_of(
        *[
            st.tuples(
                st.just(action),
                st.fixed_dictionaries(
                    {p.name: strategies[p.name] for p in table if p.required},
                    optional={p.name: strategies[p.name] for p in table if not p.required},
                ),
            )
            for action, table in params.ACTIONS.items()
            if action.endswith("_template")
        ]
    )

    @FUZZ
    @given(call=bodies, extra=st.dictionaries(st.text(max_size=8), json_values, max_size=2))
    def run(call: tuple[str, dict[str, Any]], extra: dict[str, Any]) -> None:
        action, fields = call
        body = {**extra, **fields}
        if action == "del_template":
            assume(not touches(body.get("tpl_id"), approved_id))
        before = template_rows(server, account["id"])
        # A fresh random each time, so that no example stops at the replay check.
        rand = str(next(randoms))
        response = http.post(
            f"{server.url}/v5/tlssmssvr/{action}?sdkappid={legacy.sdkappid}&random={rand}",
            content=legacy.body(body, rand=rand),
        )
        reply = assert_envelope(response)
        if reply["result"] != 0 or action == "get_template":
            assert template_rows(server, account["id"]) == before, (action, body)
        if action == "mod_template" and touches(body.get("tpl_id"), approved_id):
            assert reply["result"] != 0

    run()
    [approved] = [t for t in template_rows(server, account["id"])[0] if t.id == approved_id]
    assert approved.status is Status.APPROVED
