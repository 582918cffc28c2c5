"""No request to the Yunpian paths crashes, breaks the envelope, or changes a row.

The fuzz account holds one approved signature and a quota of one, so no fuzzed sign write
can legitimately succeed: adds hit the quota (or the duplicate name) and updates find either
nothing or the approved signature, which refuses them. Only `get.json` may answer code 0.
Template writes can succeed (a fuzzed content may be a valid template), so the template
test checks each refused request against the rows just before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smssign.core.model import Status
from smssign.dialects.yunpian import params
from tests.conftest import Server
from tests.dialects.yunpian.wire import MEDIA_TYPE, Yunpian
from tests.samples import JPEG_B64, PNG_B64

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
APPROVED_NAME = "已通过签名"

texts = st.text(max_size=24)
values_by_kind: dict[params.Kind, st.SearchStrategy[str]] = {
    params.Kind.TEXT: st.sampled_from([APPROVED_NAME, f"【{APPROVED_NAME}】", "新的签名", "云片网"])
    | texts,
    params.Kind.BOOLEAN: st.sampled_from(["true", "False", "1", "0", "yes", ""]) | texts,
    params.Kind.CHOICE: st.integers(-1, 7).map(str) | texts,
    params.Kind.COUNT: st.integers(-1, 10**12).map(str) | texts,
    params.Kind.ID: st.integers(-1, 2**64).map(str) | texts,
    params.Kind.URL: st.sampled_from(["https://example.com/a.png", "ftp://x"]) | texts,
    params.Kind.INDUSTRY: st.sampled_from(sorted(params.INDUSTRIES)) | texts,
    params.Kind.LICENCE: st.sampled_from(
        ["data:image/png;base64," + PNG_B64, "data:image/jpg;base64," + JPEG_B64, PNG_B64]
    )
    | texts,
    params.Kind.ID_CARD_NUMBER: st.sampled_from(["11010519491231002X", "123"]) | texts,
    params.Kind.PHOTO: st.sampled_from(["data:image/png;base64," + PNG_B64, ""]) | texts,
}


def form_for(action: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Form pairs from the action's own parameter table: the required parameter (and
    update's selector) first, then any of its parameters and some unknown names."""
    table = params.ACTIONS[action]

    def pair(p: params.Param) -> st.SearchStrategy[tuple[str, str]]:
        return st.tuples(st.just(p.name), values_by_kind[p.kind])

    leading = st.tuples(*[pair(p) for p in table if p.required or p.name == "old_sign"])
    known = st.sampled_from(table).flatmap(pair)
    unknown = st.tuples(texts, texts)
    rest = st.lists(known | unknown, max_size=8)
    return st.tuples(leading, rest).map(lambda parts: [*parts[0], *parts[1]])


def rows(server: Server) -> tuple[list[Any], int]:
    async def read(rt: Any) -> tuple[list[Any], int]:
        signatures = await rt.repository.signatures_with_status(list(Status))
        return signatures, len(await rt.repository.events())

    return server.run(read)


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The reply checked against Yunpian's two envelopes; returns the body."""
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert isinstance(body, dict)
    if response.status_code == 200:
        assert body["code"] == 0 and body["msg"] == "OK" and "sign" in body
    else:
        assert response.status_code in (400, 404)
        assert body["http_status_code"] == response.status_code
        assert isinstance(body["code"], int) and body["code"] != 0
        assert isinstance(body["msg"], str) and isinstance(body["detail"], str)
    return body


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One keep-alive connection for all examples: the fuzzing is about bodies, not sockets."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def target(server: Server) -> Yunpian:
    account = server.create_account()
    yunpian = Yunpian(server, account)
    yunpian.ok("add.json", {"sign": APPROVED_NAME})
    [listed] = server.run(lambda rt: rt.repository.signatures_with_status([Status.PENDING]))
    server.approve(listed.id)
    server.set_account(account["id"], signature_quota=1)
    return yunpian


def test_authenticated_forms_with_fuzzed_parameters(
    server: Server, target: Yunpian, http: httpx.Client
) -> None:
    before = rows(server)
    actions = st.sampled_from(sorted(a for a in params.ACTIONS if not a.startswith("tpl_")))

    @FUZZ
    @given(
        call=actions.flatmap(lambda a: st.tuples(st.just(a), form_for(a))), multipart=st.booleans()
    )
    def run(call: tuple[str, list[tuple[str, str]]], multipart: bool) -> None:
        action, pairs = call
        pairs = [*pairs, ("apikey", target.apikey)]
        url = f"{server.url}/v2/sign/{action}.json"
        if multipart:
            files = [(name, (None, value.encode())) for name, value in pairs]
            response = http.post(url, files=files)
        else:
            response = http.post(
                url,
                content=urlencode(pairs).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        envelope(response)
        assert action == "get" or response.status_code != 200, (action, pairs)

    run()
    assert rows(server) == before


def test_raw_requests_of_any_shape(server: Server, target: Yunpian, http: httpx.Client) -> None:
    before = rows(server)

    @FUZZ
    @given(
        name=st.sampled_from(["add.json", "update.json", "get.json", "", "x.json", "add.json/1"]),
        method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS"]),
        content_type=st.sampled_from(
            [
                None,
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "multipart/form-data; boundary=b",
                "application/json",
            ]
        )
        # Printable ASCII only: uvicorn itself refuses other header bytes before any route.
        | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
        body=st.binary(max_size=80)
        | st.builds(
            lambda key, value: f"apikey={target.apikey}&{key}={value}".encode(), texts, texts
        )
        | st.builds(
            lambda value: (
                f'--b\r\nContent-Disposition: form-data; name="apikey"\r\n\r\n{target.apikey}\r\n'
                f'--b\r\nContent-Disposition: form-data; name="sign"\r\n\r\n{value}\r\n--b--\r\n'
            ).encode(),
            texts,
        ),
    )
    def run(name: str, method: str, content_type: str | None, body: bytes) -> None:
        headers = {"Content-Type": content_type} if content_type is not None else {}
        try:
            response = http.request(
                method, f"{server.url}/v2/sign/{name}", content=body, headers=headers
            )
        except httpx.LocalProtocolError:
            return  # a header httpx itself refuses to send
        envelope(response)
        assert response.status_code != 200 or name == "get.json"

    run()
    assert rows(server) == before


TEMPLATE_TEXTS = (
    st.sampled_from(
        [
            f"【{APPROVED_NAME}】验证码#code#",
            f"【{APPROVED_NAME}】验证码#code",
            f"【{APPROVED_NAME}】验证码{{1}}",
            "【别家】通知#x#",
            "没有签名#x#",
            f"【{APPROVED_NAME}】" + "长" * 501,
            f"【{APPROVED_NAME}】#a##b#",
        ]
    )
    | texts.map(lambda t: f"【{APPROVED_NAME}】{t}")
    | texts
)


def template_form(action: str, approved_id: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    table = params.ACTIONS[action]
    ids = st.integers(-1, approved_id + 3).map(str) | st.just(str(approved_id)) | texts

    def pair(p: params.Param) -> st.SearchStrategy[tuple[str, str]]:
        if p.name == "tpl_content":
            return st.tuples(st.just(p.name), TEMPLATE_TEXTS)
        if p.name == "tpl_id":
            return st.tuples(st.just(p.name), ids)
        return st.tuples(st.just(p.name), values_by_kind[p.kind])

    leading = st.tuples(*[pair(p) for p in table if p.required])
    rest = st.lists(st.sampled_from(table).flatmap(pair) | st.tuples(texts, texts), max_size=6)
    return st.tuples(leading, rest).map(lambda parts: [*parts[0], *parts[1]])


def template_rows(server: Server, account_id: int) -> tuple[list[Any], int]:
    async def read(rt: Any) -> tuple[list[Any], int]:
        listed, _ = await rt.repository.template_page(
            account_id, international=None, offset=0, limit=None
        )
        return listed, len(await rt.repository.events())

    return server.run(read)


def test_template_forms_with_fuzzed_parameters(server: Server, http: httpx.Client) -> None:
    account = server.create_account()
    yunpian = Yunpian(server, account)
    yunpian.ok("add.json", {"sign": APPROVED_NAME})
    added = http.post(
        f"{server.url}/v2/tpl/add.json",
        data={"tpl_content": f"【{APPROVED_NAME}】已通过#code#", "apikey": yunpian.apikey},
    )
    approved_id = int(added.json()["tpl_id"])
    server.review_template(approved_id, "approved")
    names = sorted(a for a in params.ACTIONS if a.startswith("tpl_"))
    actions = st.sampled_from(names)

    @FUZZ
    @given(call=actions.flatmap(lambda a: st.tuples(st.just(a), template_form(a, approved_id))))
    def run(call: tuple[str, list[tuple[str, str]]]) -> None:
        action, pairs = call
        pairs = [*pairs, ("apikey", yunpian.apikey)]
        if action == "tpl_del":
            assume(all(v.strip() != str(approved_id) for k, v in pairs if k == "tpl_id"))
        before = template_rows(server, account["id"])
        response = http.post(
            f"{server.url}/v2/tpl/{action.removeprefix('tpl_')}.json",
            content=urlencode(pairs).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.headers["content-type"] == MEDIA_TYPE
        body = response.json()
        if response.status_code == 200:
            # No envelope on success: the template object, or an array of them.
            for item in body if isinstance(body, list) else [body]:
                assert isinstance(item["tpl_id"], int) and item["check_status"] in (
                    "CHECKING",
                    "SUCCESS",
                    "FAIL",
                )
        else:
            assert response.status_code == 400 and body["http_status_code"] == 400
            assert isinstance(body["code"], int) and body["code"] != 0
            assert isinstance(body["msg"], str) and isinstance(body["detail"], str)
        if response.status_code != 200 or action in ("tpl_get", "tpl_get_default"):
            assert template_rows(server, account["id"]) == before, (action, pairs)

    run()
    [approved] = [t for t in template_rows(server, account["id"])[0] if t.id == approved_id]
    assert approved.status is Status.APPROVED
