"""What an operator sees: request ids, JSON log lines, Prometheus metrics, no secrets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from smssign.app.demo import sample_png
from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.core.model import Draft, Image
from smssign.store import tables as t
from tests.conftest import Server, start_server, stop_server
from tests.dialects.tencent_v3.signing import error_code, tc3_post, v1_get


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server logging everything, as JSON."""
    server = start_server(
        tmp_path_factory.mktemp("logged"),
        "--no-rate-limit",
        "--log-level",
        "debug",
        "--log-format",
        "json",
    )
    yield server
    stop_server(server)


IMAGE = Image(sample_png(), "PNG", 4, 4)


def log_entries(server: Server) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.log().splitlines() if line.strip()]


def logged_request(server: Server, request_id: str) -> list[dict[str, Any]]:
    """The log entries of one request; its access line is written once the reply has gone
    out, so this waits for it."""
    deadline = time.monotonic() + 5
    while True:
        entries = [e for e in log_entries(server) if e.get("request_id") == request_id]
        if any(e["logger"] == "smssign.access" for e in entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def describe(
    server: Server, account: dict[str, Any], secret_key: str | None = None
) -> httpx.Response:
    tencent = account["tencent"]
    return tc3_post(
        server.url,
        tencent["secret_id"],
        secret_key or tencent["secret_key"],
        "DescribeSmsSignList",
        {"International": 0},
    )


def counter(server: Server, name: str, **labels: str) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_every_reply_carries_its_request_id_in_header_body_and_log(logged: Server) -> None:
    account = logged.create_account()
    reply = describe(logged, account)
    request_id = reply.json()["Response"]["RequestId"]
    assert reply.headers["x-request-id"] == request_id
    access = [e for e in logged_request(logged, request_id) if e["logger"] == "smssign.access"]
    assert [e["logger"] for e in access] == ["smssign.access"]
    assert access[0]["http"] == {
        "method": "POST",
        "path": "/",
        "status": 200,
        "duration_ms": access[0]["http"]["duration_ms"],
        "dialect": "tencent_v3",
        "action": "DescribeSmsSignList",
        "code": "Success",
    }
    assert access[0]["level"] == "info" and access[0]["time"].endswith("+00:00")


def test_no_secret_reaches_the_log(logged: Server) -> None:
    account = logged.create_account()
    tencent = account["tencent"]
    assert error_code(describe(logged, account)) is None
    assert error_code(describe(logged, account, "wrong-key")) == "AuthFailure.SignatureFailure"
    v1 = v1_get(
        logged.url,
        tencent["secret_id"],
        tencent["secret_key"],
        "DescribeSmsSignList",
        {"International": "0"},
        nonce="7331",
    )
    assert error_code(v1) is None
    httpx.post(f"{logged.url}/v2/sign/get.json", data={"apikey": account["yunpian"]["apikey"]})
    httpx.post(f"{logged.url}/v2/sign/get.json", data={"apikey": "f" * 32})
    last = httpx.post(
        f"{logged.url}/v5/tlssmssvr/get_sign?sdkappid={account['legacy']['sdkappid']}&random=1",
        json={"sig": "0" * 64, "time": 1, "sign_id": [1]},
    )
    assert logged_request(logged, last.headers["x-request-id"])
    signature = str(httpx.URL(str(v1.request.url)).params["Signature"])
    text = logged.log()
    for secret in (
        tencent["secret_key"],
        account["legacy"]["appkey"],
        account["yunpian"]["apikey"],
        "f" * 32,
        signature,
    ):
        assert secret not in text


def test_metrics_count_calls_by_dialect_action_and_code(logged: Server) -> None:
    account = logged.create_account()
    labels = {"dialect": "tencent_v3", "action": "DescribeSmsSignList"}
    ok_before = counter(logged, "smssign_requests_total", code="Success", **labels)
    bad_before = counter(
        logged, "smssign_requests_total", code="AuthFailure.SignatureFailure", **labels
    )
    timed_before = counter(logged, "smssign_request_duration_seconds_count", **labels)
    for _ in range(3):
        describe(logged, account)
    describe(logged, account, "wrong-key")
    assert counter(logged, "smssign_requests_total", code="Success", **labels) == ok_before + 3
    assert (
        counter(logged, "smssign_requests_total", code="AuthFailure.SignatureFailure", **labels)
        == bad_before + 1
    )
    assert counter(logged, "smssign_request_duration_seconds_count", **labels) == timed_before + 4


def test_metric_labels_never_take_caller_text(logged: Server) -> None:
    account = logged.create_account()
    tencent = account["tencent"]
    tc3_post(logged.url, tencent["secret_id"], tencent["secret_key"], "Evil<script>", {})
    text = httpx.get(f"{logged.url}/metrics").text
    assert "Evil" not in text
    assert counter(logged, "smssign_requests_total", action="unknown", code="InvalidAction") >= 1


def test_the_webhook_backlog_counts_undispatched_events(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'backlog.db'}", data_dir=tmp_path)

    async def scenario(runtime: Runtime) -> list[int]:
        seen = [await runtime.repository.webhook_backlog()]
        issued = await runtime.accounts.create("backlog")
        for name in ("积压一", "积压二"):
            draft = Draft(name=name, sign_type=0, document_type=1, proof_images=(IMAGE,))
            await runtime.signatures.add(issued.account, draft, dialect="test")
        seen.append(await runtime.repository.webhook_backlog())
        async with runtime.repository.engine.begin() as conn:
            first = select(t.events.c.id).order_by(t.events.c.id).limit(1).scalar_subquery()
            await conn.execute(
                update(t.events).where(t.events.c.id == first).values(dispatched_at=1.0)
            )
        seen.append(await runtime.repository.webhook_backlog())
        return seen

    async def main() -> list[int]:
        async with open_runtime(settings) as runtime:
            return await scenario(runtime)

    assert asyncio.run(main()) == [0, 2, 1]


def test_metrics_show_the_webhook_backlog(logged: Server) -> None:
    text = httpx.get(f"{logged.url}/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["smssign_webhook_backlog"].type == "gauge"


def test_metrics_count_every_dialect(logged: Server) -> None:
    account = logged.create_account()
    yunpian_ok = {"dialect": "yunpian", "action": "get", "code": "Success"}
    yunpian_bad = {"dialect": "yunpian", "action": "get", "code": "-1"}
    legacy_bad = {"dialect": "tencent_legacy", "action": "get_sign", "code": "1001"}
    before = [
        counter(logged, "smssign_requests_total", **labels)
        for labels in (yunpian_ok, yunpian_bad, legacy_bad)
    ]
    httpx.post(f"{logged.url}/v2/sign/get.json", data={"apikey": account["yunpian"]["apikey"]})
    httpx.post(f"{logged.url}/v2/sign/get.json", data={"apikey": "0" * 32})
    httpx.post(
        f"{logged.url}/v5/tlssmssvr/get_sign?sdkappid={account['legacy']['sdkappid']}&random=9",
        json={"sig": "0" * 64, "time": int(time.time()), "sign_id": [1]},
    )
    after = [
        counter(logged, "smssign_requests_total", **labels)
        for labels in (yunpian_ok, yunpian_bad, legacy_bad)
    ]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


def test_calls_answered_before_the_first_scrape_are_counted_in_it(tmp_path: Path) -> None:
    # The metrics are made at the first scrape (prometheus_client is not imported at
    # start); what was answered before must not be lost.
    server = start_server(tmp_path, "--no-rate-limit")
    try:
        account = server.create_account()
        for _ in range(3):
            describe(server, account)
        describe(server, account, "wrong-key")
        labels = {"dialect": "tencent_v3", "action": "DescribeSmsSignList"}
        assert counter(server, "smssign_requests_total", code="Success", **labels) == 3
        assert counter(server, "smssign_request_duration_seconds_count", **labels) == 4
    finally:
        stop_server(server)
