"""The processes under test: smssign, the bare Starlette baseline and moto_server.

Each runs as its own process on a free loopback port, started the way a user starts it
(`python -m smssign serve …`, `moto_server …`), with its output in a log file. Start-up
time is measured from just before the process is spawned to the first reply the caller's
probe accepts, so it includes the interpreter, the imports and (for smssign) opening and
migrating the database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench import calls
from bench.wire import exchange

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0

Probe = Callable[[int], bytes]
Check = Callable[[int, bytes], bool]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without anything that would change how smssign runs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SMSSIGN_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(proxy, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float = 0.0
    """Seconds from spawn to the first accepted probe reply."""
    quiet_window: float = 0.1
    """How long the server must stay idle to count as settled (see `settle`)."""

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def settle(self, *, busy_below: float = 0.05, timeout: float = 5.0) -> None:
        """Wait until the server's own background work (webhook outbox, ...) has gone quiet."""
        deadline = time.monotonic() + timeout
        window = self.quiet_window
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(window)
            if (self.cpu_seconds() - before) / window < busy_below:
                return


def spawn(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    workdir: Path,
    probe: Probe,
    check: Check,
    env: Mapping[str, str] | None = None,
) -> Server:
    """Start `command` and return once `probe` gets a reply that `check` accepts."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}-{port}.log"
    raw = probe(port)
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=dict(env) if env is not None else clean_environment(),
        )
    server = Server(name, port, process, log_path)
    deadline = started + START_TIMEOUT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{server.log()[-4000:]}")
        try:
            status, body = exchange(port, raw, timeout=5.0)
        except OSError:
            time.sleep(0.002)
            continue
        if check(status, body):
            server.started_in = time.perf_counter() - started
            return server
        time.sleep(0.002)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {START_TIMEOUT} s:\n{server.log()[-4000:]}")


def smssign_command(
    port: int, database_url: str, data_dir: Path, args: Sequence[str] = ()
) -> list[str]:
    """`smssign serve` as the tests and users run it, without rate limits or access log;
    `args` are further flags (`--testing` for the inbox)."""
    return [
        sys.executable,
        "-m",
        "smssign",
        "serve",
        "--port",
        str(port),
        "--database",
        database_url,
        "--data-dir",
        str(data_dir),
        "--no-rate-limit",
        "--log-level",
        "warning",
        *args,
    ]


def start_smssign(
    workdir: Path,
    database_url: str,
    *,
    probe: Probe = calls.healthz,
    check: Check = calls.status_ok,
    env: Mapping[str, str] | None = None,
    name: str = "smssign",
    args: Sequence[str] = (),
) -> Server:
    port = free_port()
    server = spawn(
        name,
        smssign_command(port, database_url, workdir / "data", args),
        port=port,
        workdir=workdir,
        probe=probe,
        check=check,
        env=clean_environment(env),
    )
    # The webhook outbox and auto-review poll every 0.5 s: a shorter window could fall
    # between two bursts of work left over from the previous measurement.
    server.quiet_window = 0.6
    return server


def start_baseline(workdir: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline", "--port", str(port)]
    return spawn(
        "baseline",
        command,
        port=port,
        workdir=workdir,
        probe=calls.baseline_get,
        check=calls.baseline_ok,
    )


def moto_executable() -> str | None:
    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return str(beside)
    return shutil.which("moto_server")


def start_moto(workdir: Path, probe: Probe = calls.sns_list_topics) -> Server:
    executable = moto_executable()
    if executable is None:
        raise RuntimeError("moto_server not found: pip install 'moto[server]'")
    port = free_port()
    return spawn(
        "moto",
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        port=port,
        workdir=workdir,
        probe=probe,
        check=calls.sns_ok if probe is calls.sns_list_topics else calls.status_ok,
    )
