"""Where a server spends its time under load: py-spy samples, folded into a short report.

py-spy attaches to the running server from outside (no instrumentation inside the
process, so the profile barely disturbs what it measures) and records every thread's
stack. The report keeps the event loop thread, and ranks functions by own time ("self")
and by time including callees ("total"), plus a coarse split by layer.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

LAYERS = (
    ("smssign/store", "smssign store (repository, SQLite direct)"),
    ("smssign/dialects", "smssign dialects (parse, auth, render)"),
    ("smssign/core", "smssign core (service, rules)"),
    ("smssign/blobs", "smssign blobs"),
    ("smssign/", "smssign other (middleware, metrics)"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("aiosqlite/", "aiosqlite"),
    ("asyncpg/", "asyncpg"),
    ("PIL/", "Pillow"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn + httptools"),
    ("prometheus_client/", "prometheus_client"),
    ("asyncio/", "event loop (uvloop, asyncio)"),
)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")


@dataclass
class Profile:
    samples: int
    self_time: list[tuple[str, float]] = field(default_factory=list)
    total_time: list[tuple[str, float]] = field(default_factory=list)
    layers: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "self": [[name, round(share, 4)] for name, share in self.self_time],
            "total": [[name, round(share, 4)] for name, share in self.total_time],
            "layers": [[name, round(share, 4)] for name, share in self.layers],
        }

    def text(self, title: str) -> str:
        lines = [title, f"{self.samples} samples of the event loop thread", ""]
        lines.append("By layer (innermost frame's package):")
        lines += [f"  {share * 100:5.1f}%  {name}" for name, share in self.layers]
        lines += ["", "Own time (self):"]
        lines += [f"  {share * 100:5.1f}%  {name}" for name, share in self.self_time]
        lines += ["", "smssign functions including callees (total):"]
        lines += [f"  {share * 100:5.1f}%  {name}" for name, share in self.total_time]
        return "\n".join(lines) + "\n"


def start(pid: int, seconds: float, raw: Path, *, rate: int = 250) -> subprocess.Popen[bytes]:
    """Begin recording `pid` for `seconds` into `raw` (py-spy's folded format)."""
    executable = py_spy()
    if executable is None:
        raise RuntimeError("py-spy not found: pip install py-spy")
    return subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--threads",
            "--nonblocking",
            "--output",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _layer(frame: str) -> str:
    for marker, name in LAYERS:
        if marker in frame:
            return name
    return "other (Python, C extensions)"


def _function(frame: str) -> str:
    """`name (path/file.py:123)` -> `name (path/file.py)`."""
    head, _, line = frame.rpartition(":")
    return head + ")" if line.rstrip(")").isdigit() else frame


def fold(raw: Path, *, top: int = 25) -> Profile:
    """Summarise py-spy's folded stacks, keeping the main (event loop) thread."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if "MainThread" not in frames[0]:
            continue
        n = int(count)
        frames = frames[1:]
        if not frames:
            continue
        samples += n
        own[frames[-1]] += n
        layers[_layer(frames[-1])] += n
        # A function appears once per line it was sampled on: count it once per stack.
        for function in {_function(frame) for frame in frames}:
            total[function] += n
    if not samples:
        return Profile(0)
    boring = ("<module>", "runpy", "typer/", "click/", "smssign/cli.py", "serving.py")

    def share(counter: Counter[str], keep: int) -> list[tuple[str, float]]:
        ranked = [(f, c / samples) for f, c in counter.most_common() if not f.startswith(boring)]
        ranked = [(f, s) for f, s in ranked if not any(b in f for b in boring)]
        return ranked[:keep]

    # Inclusive time only for smssign's own functions: the frames around them (uvicorn,
    # Starlette's middleware stack) contain everything and say nothing.
    ours = Counter({f: c for f, c in total.items() if "smssign/" in f})
    return Profile(
        samples,
        self_time=share(own, top),
        total_time=share(ours, top),
        layers=[(name, c / samples) for name, c in layers.most_common()],
    )
