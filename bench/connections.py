"""How HTTP servers for smssign hold up against slow and greedy clients: the numbers
behind `smssign.app.connections`.

    python -m bench.connections [--seconds 3] [--only NAME ...]

Each candidate serves the same app (SQLite, rate limits off) in its own process; for
each we measure, over loopback:

- `/healthz` and a signed DescribeSmsSignList (TC3): requests per second and p50/p99,
  on 16 keep-alive connections;
- one endless header (64 KiB writes for 5 s): bytes the server took before refusing,
  and how much its memory grew;
- 200 slow sockets (headers a byte a second): how many the server closed within 15 s,
  and `/healthz` p99 meanwhile.

hypercorn and granian are not smssign dependencies; candidates whose command is missing
are skipped (`pip install hypercorn granian` to compare them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smssign.app.connections import LIMITS_ENV, HttpLimits
from smssign.app.server import SETTINGS_ENV, encode_settings
from smssign.app.settings import Settings

FACTORY = "smssign.app.server:app_from_environment"
CONNECTIONS = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def candidates(port: int) -> dict[str, list[str]]:
    py = sys.executable
    uvicorn = [py, "-m", "uvicorn", "--factory", FACTORY, "--port", str(port)]
    uvicorn += ["--loop", "uvloop", "--log-level", "warning", "--no-access-log"]
    return {
        "uvicorn-httptools": [*uvicorn, "--http", "httptools"],
        "uvicorn-h11": [*uvicorn, "--http", "h11", "--h11-max-incomplete-event-size", "65536"],
        "smssign-bounded": [*uvicorn, "--http", "smssign.app.connections:BoundedHttpToolsProtocol"],
        "hypercorn": [
            py,
            "-m",
            "hypercorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "uvloop",
            "--read-timeout",
            "10",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
            f"{FACTORY[: FACTORY.index(':')]}:app_from_environment()",
        ],
        "granian": [
            shutil.which("granian") or "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "1",
            "--http1-header-read-timeout",
            "10000",
            "--log-level",
            "warning",
            FACTORY,
        ],
    }


def available(command: list[str]) -> bool:
    if command[1:3] == ["-m", "hypercorn"]:
        return subprocess.run([command[0], "-c", "import hypercorn"], check=False).returncode == 0
    return shutil.which(command[0]) is not None or Path(command[0]).exists()


@dataclass
class Node:
    process: subprocess.Popen[bytes]
    port: int

    def rss_mb(self) -> float:
        """Resident memory of the server process and its children."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += int(status.split("VmRSS:")[1].split()[0])
        return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    kids = [int(p) for p in found]
    return kids + [g for k in kids for g in _children(k)]


def start(command: list[str], port: int, env: dict[str, str], log: Path) -> Node:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    node = Node(process, port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return node
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("did not start: " + log.read_text())


def stop(node: Node) -> None:
    node.process.send_signal(signal.SIGTERM)
    try:
        node.process.wait(10)
    except subprocess.TimeoutExpired:
        node.process.kill()
        node.process.wait()


# --- load -----------------------------------------------------------------------------


async def _read_reply(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def timed_load(port: int, request: bytes, seconds: float) -> list[float]:
    """Latencies of `request`, sent back to back on CONNECTIONS keep-alive connections."""
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop_at:
                started = time.monotonic()
                writer.write(request)
                status = await _read_reply(reader)
                if status != 200:
                    raise RuntimeError(f"HTTP {status} for {request[:200]!r}")
                latencies.append(time.monotonic() - started)
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(CONNECTIONS)))
    return latencies


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    if not latencies:
        return {"rps": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan")}
    ordered = sorted(latencies)
    return {
        "rps": round(len(ordered) / seconds),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
    }


def signed_describe(port: int, secret_id: str, secret_key: str) -> bytes:
    from tests.dialects.tencent_v3.signing import tc3_headers

    url = f"http://127.0.0.1:{port}"
    body = b'{"International": 0}'
    headers = tc3_headers(url, secret_id, secret_key, "DescribeSmsSignList", body)
    lines = [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("content-length", "host")]
    lines.append(f"Host: 127.0.0.1:{port}")
    head = "POST / HTTP/1.1\r\n" + "\r\n".join(lines) + f"\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def endless_header(node: Node, seconds: float = 5.0) -> dict[str, float]:
    before = node.rss_mb()
    _, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: ")
    sent, stop_at, grew = 0, time.monotonic() + seconds, 0.0
    try:
        while time.monotonic() < stop_at:
            writer.write(b"a" * 65536)
            await asyncio.wait_for(writer.drain(), 1.0)
            sent += 65536
            grew = max(grew, node.rss_mb() - before)
    except (OSError, TimeoutError):
        pass
    writer.close()
    return {"sent_mb": round(sent / 2**20, 1), "rss_growth_mb": round(grew, 1)}


async def slow_sockets(node: Node, count: int = 200, within: float = 15.0) -> dict[str, float]:
    streams = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        streams.append((reader, writer))
    closed: set[int] = set()

    async def drip(index: int) -> None:
        reader, writer = streams[index]
        for _ in range(int(within)):
            try:
                writer.write(b"X")
                await writer.drain()
                data = await asyncio.wait_for(reader.read(100), 1.0)
                if data == b"" or data.startswith(b"HTTP/1.1 4"):
                    closed.add(index)
                    return
            except TimeoutError:
                continue
            except OSError:
                closed.add(index)
                return

    healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    load = asyncio.create_task(timed_load(node.port, healthz, within))
    await asyncio.gather(*(drip(i) for i in range(count)))
    latencies = await load
    for _, writer in streams:
        writer.close()
    return {
        "closed": len(closed),
        **{f"healthz_{k}": v for k, v in summary(latencies, within).items()},
    }


def measure(name: str, command: list[str], seconds: float, base: Path) -> dict[str, Any]:
    port = int(command[command.index("--port") + 1]) if "--port" in command else 0
    if not port:
        port = int(next(a for a in command if a.startswith("127.0.0.1:")).split(":")[1])
    directory = base / name
    directory.mkdir()
    settings = Settings(
        database_url=f"sqlite:///{directory / 'smssign.db'}",
        data_dir=directory,
        rate_limit_enabled=False,
    )
    env = {
        **os.environ,
        SETTINGS_ENV: encode_settings(settings),
        LIMITS_ENV: HttpLimits().to_environment(),
    }
    node = start(command, port, env, directory / "server.log")
    try:
        account = _account(settings)
        api = signed_describe(port, account["secret_id"], account["secret_key"])
        healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        results: dict[str, Any] = {"name": name}
        results["healthz"] = summary(asyncio.run(timed_load(port, healthz, seconds)), seconds)
        results["api"] = summary(asyncio.run(timed_load(port, api, seconds)), seconds)
        results["endless_header"] = asyncio.run(endless_header(node))
        results["slow_sockets"] = asyncio.run(slow_sockets(node))
        return results
    finally:
        stop(node)


def _account(settings: Settings) -> dict[str, str]:
    from smssign.app.runtime import open_runtime
    from smssign.backoffice.accounts import issued_json

    async def create() -> dict[str, str]:
        async with open_runtime(settings) as runtime:
            tencent: dict[str, str] = issued_json(await runtime.accounts.create("bench"))["tencent"]
            return tencent

    return asyncio.run(create())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smssign-connections-") as tmp:
        for name, command in candidates(_free_port()).items():
            if args.only and name not in args.only:
                continue
            if not available(command):
                print(json.dumps({"name": name, "skipped": "not installed"}))
                continue
            print(json.dumps(measure(name, command, args.seconds, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
