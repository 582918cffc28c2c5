"""Running a node: several workers, readiness, a Redis outage, graceful shutdown."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Server, free_port, start_server, stop_server
from tests.dialects.tencent_v3.signing import error_code, tc3_post
from tests.services import redis_url


def describe(server: Server, account: dict[str, Any]) -> httpx.Response:
    tencent = account["tencent"]
    return tc3_post(
        server.url,
        tencent["secret_id"],
        tencent["secret_key"],
        "DescribeSmsSignList",
        {"International": 0},
    )


def successes(server: Server) -> float:
    text = httpx.get(f"{server.url}/metrics", headers={"connection": "close"}).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "smssign_requests_total" and sample.labels.get("code") == "Success"
    )


def test_two_workers_serve_and_report_their_metrics_together(tmp_path: Path) -> None:
    node = start_server(tmp_path, "--no-rate-limit", "--workers", "2")
    try:
        account = node.create_account()
        for _ in range(12):
            assert error_code(describe(node, account)) is None
        # Every scrape, whichever worker answers it, counts the calls of both.
        assert [successes(node) for _ in range(6)] == [12.0] * 6
    finally:
        stop_server(node)


def test_ready_with_redis(tmp_path: Path) -> None:
    node = start_server(tmp_path, "--redis", redis_url(), "--redis-prefix", f"t{free_port()}")
    try:
        reply = httpx.get(f"{node.url}/readyz")
        assert (reply.status_code, reply.json()) == (
            200,
            {"status": "ready", "database": "ok", "redis": "ok"},
        )
    finally:
        stop_server(node)


def test_an_unreachable_redis_gives_error_replies_and_not_ready(tmp_path: Path) -> None:
    node = start_server(tmp_path, "--redis", f"redis://127.0.0.1:{free_port()}/0")
    try:
        account = node.create_account()
        assert error_code(describe(node, account)) == "InternalError"
        ready = httpx.get(f"{node.url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "ok"
        assert ready.json()["redis"].startswith("unavailable")
        assert httpx.get(f"{node.url}/healthz").status_code == 200
    finally:
        stop_server(node)


def test_shutdown_lets_a_request_in_flight_finish(tmp_path: Path) -> None:
    node = start_server(tmp_path, "--no-rate-limit")
    body = b"Action=DescribeSmsSignList&Version=2021-01-11"
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as conn:
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
        )
        time.sleep(0.3)
        node.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # The server is draining: it takes no new connection but finishes this request.
        assert node.process.poll() is None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", node.port), timeout=2).close()
        conn.sendall(body[10:])
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert b'"Code":"MissingParameter"' in reply
    # uvicorn ends by re-raising the signal it drained for: killed by SIGTERM, not failed.
    assert node.process.wait(timeout=10) in (0, -signal.SIGTERM)
    stop_server(node)


def test_ip_allow_lists_see_the_caller_behind_a_local_proxy(server: Server) -> None:
    """nginx on the same host sets X-Forwarded-For; the allow-list checks that address."""
    account = server.create_account()
    server.set_account(account["id"], ip_allow=["203.0.113.0/24"])
    tencent = account["tencent"]

    def describe_from(forwarded: str | None) -> str | None:
        headers = {"X-Forwarded-For": forwarded} if forwarded else None
        reply = tc3_post(
            server.url,
            tencent["secret_id"],
            tencent["secret_key"],
            "DescribeSmsSignList",
            {"International": 0},
            extra_headers=headers,
        )
        return error_code(reply)

    assert describe_from("203.0.113.7") is None
    assert describe_from("198.51.100.7") == "UnauthorizedOperation.RequestIpNotInWhitelist"
    assert describe_from(None) == "UnauthorizedOperation.RequestIpNotInWhitelist"
