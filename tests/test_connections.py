"""Bounded connections: header size, header and body read timeouts, slow sockets closed.

One server with short timeouts (2 s for headers and for a stalled body), attacked over
raw sockets the way a hostile client would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server

TIMEOUT = 2.0


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("connections"),
        "--no-rate-limit",
        "--header-timeout",
        str(TIMEOUT),
        "--body-timeout",
        str(TIMEOUT),
    )
    yield server
    stop_server(server)


def rss_mb(server: Server) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_until_closed(conn: socket.socket, limit: float) -> bytes:
    conn.settimeout(limit)
    reply = b""
    try:
        while chunk := conn.recv(65536):
            reply += chunk
    except ConnectionResetError:
        pass
    return reply


def test_an_endless_header_is_cut_off_with_bounded_memory(node: Server) -> None:
    before = rss_mb(node)
    sent = 0
    with connect(node) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        with pytest.raises(OSError):  # reset or broken pipe once the server gives up
            while sent < 64 * 2**20:
                conn.sendall(b"a" * 65536)
                sent += 65536
        reply = read_until_closed(conn, 5)
    # What the kernel's socket buffers held, not what the server kept.
    assert sent < 8 * 2**20
    assert reply == b"" or reply.startswith(b"HTTP/1.1 431 ")
    assert rss_mb(node) - before < 16
    assert httpx.get(f"{node.url}/healthz").status_code == 200


def test_large_but_reasonable_headers_still_pass(node: Server) -> None:
    reply = httpx.get(f"{node.url}/healthz", headers={"Cookie": "c=" + "x" * 32_000})
    assert reply.status_code == 200


def test_slow_sockets_are_closed_while_healthz_stays_fast(node: Server) -> None:
    sockets = []
    for _ in range(200):
        conn = connect(node)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sockets.append(conn)
    opened = time.monotonic()
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=node.url, timeout=10) as client:
            while not done.is_set():
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    closed = 0
    try:
        for conn in sockets:
            # A byte now and then: each keeps its header unfinished, as slowloris does.
            with contextlib.suppress(OSError):
                conn.sendall(b"X")
        for conn in sockets:
            remaining = max(0.1, opened + TIMEOUT + 5 - time.monotonic())
            reply = read_until_closed(conn, remaining)
            if reply == b"" or reply.startswith(b"HTTP/1.1 408 "):
                closed += 1
    finally:
        done.set()
        prober.join()
        for conn in sockets:
            conn.close()
    assert closed == 200
    assert time.monotonic() - opened < TIMEOUT + 5
    assert latencies and max(latencies) < 1.0, max(latencies)


def test_a_silent_socket_is_closed(node: Server) -> None:
    with connect(node) as conn:
        started = time.monotonic()
        reply = read_until_closed(conn, TIMEOUT + 5)
        assert reply == b"" or reply.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < TIMEOUT + 3


def test_a_stalled_body_is_closed(node: Server) -> None:
    with connect(node) as conn:
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"a": 1'
        )
        started = time.monotonic()
        read_until_closed(conn, TIMEOUT + 5)
        assert time.monotonic() - started < TIMEOUT + 3
    assert httpx.get(f"{node.url}/healthz").status_code == 200
