"""The message inbox contract of `serve --testing` over HTTP: list and filters, latest
with wait, delete, set a status, simulate a reply, outcome rules; and bad queries get 4xx.

Messages are sent through the core on the server's database (another process, like a
second node); the dialects' own send actions are tested with their official clients.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.app.runtime import Runtime
from smssign.core.model import Draft, Image, Status, TemplateType
from smssign.core.sending import SendRequest, SendService
from smssign.core.templates import TemplateDraft
from tests.conftest import Server, start_server, stop_server
from tests.samples import png

KEYS = {
    "id", "dialect", "account_id", "mobile", "sign", "template_id", "params", "text",
    "parts", "fee", "status", "error_code", "provider_message_id", "created_at", "reported_at",
}  # fmt: skip
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("inbox"), "--testing", "--no-rate-limit")
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def ready(server: Server) -> tuple[int, int]:
    """An account with an approved signature 腾讯 and template "验证码{1}"; (account, template)."""

    async def make(rt: Runtime) -> tuple[int, int]:
        account = (await rt.accounts.create("inbox")).account
        image = Image(png(), "PNG", 8, 8)
        draft = Draft(name="腾讯", sign_type=0, document_type=1, proof_images=(image,))
        change = await rt.signatures.add(account, draft, dialect="tencent_v3")
        await rt.signatures.review(change.signature.id, Status.APPROVED)
        template = await rt.templates.add(
            account,
            TemplateDraft("验证码", "您的验证码是{1}。", TemplateType.VERIFICATION, False),
            dialect="tencent_v3",
        )
        await rt.templates.review(template.template.id, Status.APPROVED)
        return account.id, template.template.id

    return server.run(make)


def send(server: Server, ready: tuple[int, int], *mobiles: str, code: str = "1234") -> None:
    account_id, template_id = ready

    async def go(rt: Runtime) -> None:
        account = await rt.repository.account(account_id)
        assert account is not None
        # The server runs without frequency limits; so does this second node.
        sending = SendService(rt.repository, rt.clock, frequency_enabled=False)
        await sending.send(
            account,
            SendRequest(
                dialect="tencent_v3",
                mobiles=mobiles,
                template_id=template_id,
                sign="腾讯",
                params=(code,),
                provider_ids=lambda position: f"2433:{time.time_ns()}{position}",
                most_numbers=200,
            ),
        )

    server.run(go)


@pytest.fixture(autouse=True)
def empty(server: Server) -> None:
    assert httpx.delete(f"{server.url}/_smssign/messages").status_code == 204


def test_messages_list_newest_first_with_the_contract_keys(
    server: Server, ready: tuple[int, int]
) -> None:
    send(server, ready, "13800138000", "+8613800138001")
    send(server, ready, "13800138000", code="5678")
    body = httpx.get(f"{server.url}/_smssign/messages").json()
    assert body["total"] == 3
    newest = body["messages"][0]
    assert set(newest) == KEYS
    assert newest["mobile"] == "+8613800138000" and newest["params"] == ["5678"]
    assert newest["text"] == "【腾讯】您的验证码是5678。"
    assert (newest["sign"], newest["template_id"], newest["account_id"]) == (
        "腾讯", str(ready[1]), ready[0],
    )  # fmt: skip
    assert (newest["parts"], newest["fee"], newest["dialect"]) == (1, 1, "tencent_v3")
    assert newest["status"] == "delivered" and newest["error_code"] is None
    assert RFC3339.fullmatch(newest["created_at"]) and RFC3339.fullmatch(newest["reported_at"])
    assert isinstance(newest["id"], str) and newest["provider_message_id"].startswith("2433:")
    only = httpx.get(
        f"{server.url}/_smssign/messages", params={"mobile": "13800138001", "limit": "5"}
    ).json()
    assert only["total"] == 1 and only["messages"][0]["mobile"] == "+8613800138001"
    one = httpx.get(f"{server.url}/_smssign/messages", params={"limit": "1"}).json()
    assert (len(one["messages"]), one["total"]) == (1, 3)
    for query, count in (
        ({"account_id": str(ready[0])}, 3),
        ({"account_id": "99999"}, 0),
        ({"dialect": "yunpian"}, 0),
        ({"status": "failed"}, 0),
        ({"status": "delivered"}, 3),
    ):
        assert httpx.get(f"{server.url}/_smssign/messages", params=query).json()["total"] == count


def test_latest_answers_404_then_waits_for_a_message(
    server: Server, ready: tuple[int, int]
) -> None:
    url = f"{server.url}/_smssign/messages/latest"
    assert httpx.get(url, params={"mobile": "+8613800138002"}).status_code == 404
    threading.Timer(0.5, send, (server, ready, "13800138002")).start()
    answer = httpx.get(url, params={"mobile": "+8613800138002", "wait": "10"}, timeout=20)
    assert answer.status_code == 200 and answer.json()["mobile"] == "+8613800138002"


def test_delete_by_mobile_keeps_the_other_numbers(server: Server, ready: tuple[int, int]) -> None:
    send(server, ready, "13800138000", "13800138001")
    gone = httpx.delete(f"{server.url}/_smssign/messages", params={"mobile": "+8613800138000"})
    assert gone.status_code == 204
    left = httpx.get(f"{server.url}/_smssign/messages").json()
    assert [m["mobile"] for m in left["messages"]] == ["+8613800138001"]


def test_a_status_is_set_by_hand_and_magic_numbers_fail(
    server: Server, ready: tuple[int, int]
) -> None:
    send(server, ready, "13800138000", "13900000001")
    messages = httpx.get(f"{server.url}/_smssign/messages").json()["messages"]
    by_mobile = {m["mobile"]: m for m in messages}
    assert by_mobile["+8613900000001"]["status"] == "failed"
    assert by_mobile["+8613900000001"]["error_code"] == "UNDELIV"
    target = by_mobile["+8613800138000"]["id"]
    url = f"{server.url}/_smssign/messages/{target}/status"
    changed = httpx.post(url, json={"status": "failed", "error_code": "MK:0001"})
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["error_code"]) == ("failed", "MK:0001")
    assert httpx.post(url, json={"status": "pending"}).status_code == 400
    missing = f"{server.url}/_smssign/messages/99999/status"
    assert httpx.post(missing, json={"status": "delivered"}).status_code == 404


def test_outcome_rules_decide_later_messages(server: Server, ready: tuple[int, int]) -> None:
    rules = f"{server.url}/_smssign/outcome-rules"
    rule = {"pattern": "+86137*", "status": "failed", "error_code": "MK:0005"}
    made = httpx.post(rules, json=rule)
    assert made.status_code == 201, made.text
    assert httpx.post(rules, json={"pattern": "+86136*", "status": "failed"}).status_code == 400
    send(server, ready, "13700137000")
    latest = httpx.get(
        f"{server.url}/_smssign/messages/latest", params={"mobile": "+8613700137000"}
    ).json()
    assert (latest["status"], latest["error_code"]) == ("failed", "MK:0005")
    assert any(r["pattern"] == "+86137*" for r in httpx.get(rules).json()["rules"])


def test_a_reply_is_stored_against_the_latest_message(
    server: Server, ready: tuple[int, int]
) -> None:
    send(server, ready, "13800138000")
    made = httpx.post(
        f"{server.url}/_smssign/replies", json={"mobile": "+8613800138000", "text": "收到"}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["account_id"], made.json()["sign"]) == (ready[0], "腾讯")
    stray = httpx.post(
        f"{server.url}/_smssign/replies", json={"mobile": "+8613800138999", "text": "谁"}
    )
    assert stray.status_code == 404
    named = httpx.post(
        f"{server.url}/_smssign/replies",
        json={"account_id": ready[0], "mobile": "+8613800138999", "text": "谁"},
    )
    assert named.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/_smssign/messages", {"params": {"limit": "0"}}),
        ("GET", "/_smssign/messages", {"params": {"limit": "x"}}),
        ("GET", "/_smssign/messages", {"params": {"status": "lost"}}),
        ("GET", "/_smssign/messages", {"params": {"account_id": "-1"}}),
        ("GET", "/_smssign/messages", {"params": {"mobile": "12"}}),
        ("GET", "/_smssign/messages/latest", {}),
        ("GET", "/_smssign/messages/latest", {"params": {"mobile": "+8613800138000", "wait": "x"}}),
        ("DELETE", "/_smssign/messages", {"params": {"account_id": "x"}}),
        ("POST", "/_smssign/replies", {"json": {"mobile": "+8613800138000"}}),
        ("POST", "/_smssign/replies", {"json": {"mobile": "bad", "text": "x", "account_id": 1}}),
        ("POST", "/_smssign/replies", {"content": b"not json"}),
        ("POST", "/_smssign/messages/1/status", {"json": ["delivered"]}),
    ],
)
def test_bad_requests_get_a_4xx_and_change_nothing(
    server: Server, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    before = server.row_counts()
    answer = httpx.request(method, server.url + path, **kwargs)
    assert 400 <= answer.status_code < 500 and "error" in answer.json()
    assert server.row_counts() == before


def test_another_site_may_not_erase_the_inbox(server: Server) -> None:
    answer = httpx.delete(
        f"{server.url}/_smssign/messages", headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403


def test_the_admin_api_reads_the_same_messages_with_a_token(
    server: Server, ready: tuple[int, int]
) -> None:
    from tests.backoffice import create_operator, operator_token

    create_operator(server, "inbox-robot")
    headers = {"Authorization": f"Bearer {operator_token(server, 'inbox-robot')}"}
    send(server, ready, "13800138000")
    api = f"{server.url}/admin/api"
    assert httpx.get(f"{api}/messages").status_code == 401
    inbox = httpx.get(f"{server.url}/_smssign/messages", params={"mobile": "13800138000"})
    listed = httpx.get(f"{api}/messages", headers=headers, params={"mobile": "13800138000"})
    assert listed.json() == inbox.json() and listed.json()["total"] == 1
    one = listed.json()["messages"][0]
    assert httpx.get(f"{api}/messages/{one['id']}", headers=headers).json() == one
    assert httpx.get(f"{api}/messages/99999", headers=headers).status_code == 404
    assert httpx.get(f"{api}/messages?status=x", headers=headers).status_code == 400
    rule = {"pattern": "+86135*", "status": "failed", "error_code": "MK:0009"}
    made = httpx.post(f"{api}/outcome-rules", headers=headers, json=rule)
    assert made.status_code == 201
    rule_id = made.json()["id"]
    assert httpx.delete(f"{api}/outcome-rules/{rule_id}", headers=headers).status_code == 204
    assert httpx.delete(f"{api}/outcome-rules/{rule_id}", headers=headers).status_code == 404


def test_a_seed_adds_outcome_rules_once(server: Server) -> None:
    seed = {"outcomes": [{"pattern": "+86134*", "status": "failed", "error_code": "MK:0012"}]}
    for _ in range(2):
        assert httpx.post(f"{server.url}/_smssign/seed", json=seed).status_code == 200
    rules = httpx.get(f"{server.url}/_smssign/outcome-rules").json()["rules"]
    assert [r["error_code"] for r in rules if r["pattern"] == "+86134*"] == ["MK:0012"]
    bad = {"outcomes": [{"pattern": "+86134*", "status": "failed"}]}
    answer = httpx.post(f"{server.url}/_smssign/seed", json=bad)
    assert answer.status_code == 400 and "error_code" in answer.json()["error"]
