"""A dialect registered from the test tree goes through every gateway guard, over HTTP.

The toy dialect (tests/gateway/toy/: provider.py and protocol.py) is mounted by its own
launcher; nothing under src/ names it. Its callers get its envelope, its error codes and
its metrics label, and the core's rules (policy, rate limits) as every other dialect does.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from smssign.app.runtime import Runtime, open_runtime
from smssign.backoffice.accounts import issued_json
from tests.conftest import Server, database_url_for, free_port, stop_server
from tests.gateway.toy import PROVIDERS
from tests.gateway.toy.protocol import MAX_SKEW, sign

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ToyServer(Server):
    """A server whose runtime knows the toy provider, so its accounts hold toy keys too."""

    def run(self, action: Callable[[Runtime], Awaitable[T]]) -> T:
        async def main() -> T:
            async with open_runtime(self.settings, providers=PROVIDERS) as runtime:
                return await action(runtime)

        return asyncio.run(main())

    def create_account(
        self, name: str | None = None, *, individual: bool = False
    ) -> dict[str, Any]:
        name = name or f"toy-{os.getpid()}-{time.monotonic_ns()}"
        issued = self.run(lambda rt: rt.accounts.create(name, individual=individual))
        return issued_json(issued, PROVIDERS)


def start_toy_server(directory: Path) -> Server:
    port = free_port()
    database_url = database_url_for(directory)
    data_dir = directory / "data"
    log_path = directory / "server.log"
    command = [sys.executable, "-m", "tests.gateway.toy.serve", str(port), database_url]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, str(data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=os.environ,
        )
    server = ToyServer(f"http://127.0.0.1:{port}", port, database_url, data_dir, process, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"toy server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"toy server did not start:\n{server.log()}")


@pytest.fixture(scope="module")
def toy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_toy_server(tmp_path_factory.mktemp("toy"))
    yield server
    stop_server(server)


def call(
    server: Server,
    account: dict[str, Any],
    action: str,
    document: dict[str, Any],
    *,
    secret: str | None = None,
    at: int | None = None,
    nonce: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = orjson.dumps(document)
    at = int(time.time()) if at is None else at
    nonce = nonce or os.urandom(8).hex()
    keys = account["toy"]
    signature = sign(secret or keys["token_secret"], at, nonce, action, body)
    sent = {
        "X-Toy-Key": keys["token_id"],
        "X-Toy-Time": str(at),
        "X-Toy-Nonce": nonce,
        "X-Toy-Signature": signature,
        "Content-Type": "application/json",
        **(headers or {}),
    }
    return httpx.post(f"{server.url}/toy/v1/{action}", content=body, headers=sent, timeout=10)


def error_of(reply: httpx.Response) -> str:
    body = reply.json()
    assert body["ok"] is False, body
    assert body["request_id"] == reply.headers["x-request-id"]
    return str(body["error"]["code"])


def result_of(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["ok"] is True
    assert body["request_id"] == reply.headers["x-request-id"]
    result: dict[str, Any] = body["result"]
    return result


def requests_counted(server: Server, **labels: str) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "smssign_requests_total" and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                total += sample.value
    return total


def test_add_modify_and_describe_a_signature(toy_server: Server) -> None:
    account = toy_server.create_account()
    added = result_of(call(toy_server, account, "add_signature", {"name": "玩具科技"}))
    assert added["name"] == "玩具科技" and added["status"] == "pending"

    toy_server.reject(added["id"], "proof missing")
    modified = result_of(
        call(
            toy_server,
            account,
            "modify_signature",
            {"id": added["id"], "name": "玩具科技二", "remark": "second try"},
        )
    )
    assert modified == {
        "id": added["id"],
        "name": "玩具科技二",
        "remark": "second try",
        "status": "pending",
    }

    described = result_of(call(toy_server, account, "describe_signature", {"id": added["id"]}))
    assert described == modified
    # The same signature the core holds for every other dialect.
    found = toy_server.run(lambda rt: rt.repository.signature(added["id"]))
    assert found is not None and found.name == "玩具科技二"


def test_business_errors_come_in_the_toy_envelope(toy_server: Server) -> None:
    account = toy_server.create_account()
    reply = call(toy_server, account, "describe_signature", {"id": 999_999})
    assert reply.status_code == 404 and error_of(reply) == "NOT_FOUND"
    reply = call(toy_server, account, "describe_signature", {"id": "one"})
    assert reply.status_code == 400 and error_of(reply) == "INVALID_PARAMETER"
    reply = httpx.post(f"{toy_server.url}/toy/v1/no_such_action", content=b"{}")
    assert reply.status_code == 404 and error_of(reply) == "NO_SUCH_ACTION"


def test_authentication_failures_change_nothing(toy_server: Server) -> None:
    account = toy_server.create_account()
    before = toy_server.row_counts()
    document = {"name": "无权签名"}

    wrong = call(toy_server, account, "add_signature", document, secret="not-the-secret")
    assert wrong.status_code == 401 and error_of(wrong) == "BAD_SIGNATURE"
    unknown = call(
        toy_server, account, "add_signature", document, headers={"X-Toy-Key": "AKIDunknown"}
    )
    assert error_of(unknown) == "UNKNOWN_KEY"
    stale = call(toy_server, account, "add_signature", document, at=int(time.time()) - 2 * MAX_SKEW)
    assert error_of(stale) == "STALE_REQUEST"
    missing = httpx.post(f"{toy_server.url}/toy/v1/add_signature", content=b"{}")
    assert error_of(missing) == "MISSING_CREDENTIALS"
    assert toy_server.row_counts() == before


def test_a_signed_request_is_accepted_once(toy_server: Server) -> None:
    account = toy_server.create_account()
    at = int(time.time())
    first = call(toy_server, account, "add_signature", {"name": "重放签名"}, at=at, nonce="n1")
    result_of(first)
    again = call(toy_server, account, "add_signature", {"name": "重放签名"}, at=at, nonce="n1")
    assert again.status_code == 401 and error_of(again) == "REPLAYED"


def test_rate_limit_per_account_and_action(toy_server: Server) -> None:
    account = toy_server.create_account()
    sign_id = result_of(call(toy_server, account, "add_signature", {"name": "限流签名"}))["id"]
    # serve.py allows 3 describe_signature calls a minute per account.
    replies = [call(toy_server, account, "describe_signature", {"id": sign_id}) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert error_of(replies[-1]) == "RATE_LIMITED"
    # Another account has its own allowance.
    other = toy_server.create_account()
    reply = call(toy_server, other, "describe_signature", {"id": sign_id})
    assert error_of(reply) == "NOT_FOUND"


def test_account_policy_arrears_and_allow_list(toy_server: Server) -> None:
    account = toy_server.create_account()
    before = toy_server.row_counts()

    toy_server.set_account(account["id"], arrears=True)
    reply = call(toy_server, account, "add_signature", {"name": "欠费签名"})
    assert reply.status_code == 403 and error_of(reply) == "IN_ARREARS"

    toy_server.set_account(account["id"], arrears=False, ip_allow=["10.9.9.0/24"])
    reply = call(toy_server, account, "add_signature", {"name": "白名单签名"})
    assert error_of(reply) == "IP_NOT_ALLOWED"

    toy_server.set_account(account["id"], ip_allow=[], individual=True)
    reply = call(toy_server, account, "add_signature", {"name": "个人签名"})
    assert error_of(reply) == "NOT_ENTERPRISE"
    assert toy_server.row_counts() == before

    toy_server.set_account(account["id"], ip_allow=["127.0.0.0/8"], individual=False)
    result_of(call(toy_server, account, "add_signature", {"name": "白名单签名"}))


def test_metrics_carry_the_toy_label(toy_server: Server) -> None:
    account = toy_server.create_account()
    ok = {"dialect": "toy", "action": "add_signature", "code": "Success"}
    bad = {"dialect": "toy", "action": "add_signature", "code": "BAD_SIGNATURE"}
    unknown = {"dialect": "toy", "action": "unknown", "code": "NO_SUCH_ACTION"}
    before = [requests_counted(toy_server, **labels) for labels in (ok, bad, unknown)]

    result_of(call(toy_server, account, "add_signature", {"name": "计数签名"}))
    call(toy_server, account, "add_signature", {"name": "计数签名二"}, secret="wrong")
    httpx.post(f"{toy_server.url}/toy/v1/%3Cscript%3E", content=b"{}")

    after = [requests_counted(toy_server, **labels) for labels in (ok, bad, unknown)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
