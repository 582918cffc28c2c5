"""docs/testing.md runs: every Python example in it, as a user would run it.

Blocks whose first line is `# file: NAME` are written into one fresh project directory
(YAML ones too); the `test_*.py` files among them run in one pytest process with
warnings as errors, the other top-level `.py` files run as scripts, and blocks marked
`# needs: server` run against `smssign serve --testing --seed seed.yaml`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import start_server, stop_server

GUIDE = Path(__file__).parents[2] / "docs" / "testing.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    language: str
    text: str

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0] if self.text else ""

    @property
    def file(self) -> str | None:
        match = re.fullmatch(r"# file: (\S+)", self.first_line)
        return match[1] if match else None


def blocks() -> list[Block]:
    return [Block(lang, text) for lang, text in FENCE.findall(GUIDE.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("guide")
    for block in blocks():
        if block.file is not None:
            path = root / block.file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text, encoding="utf-8")
    return root


def run_python(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_every_python_block_is_run_by_this_module() -> None:
    python = [b for b in blocks() if b.language == "python"]
    assert len(python) >= 10
    for block in python:
        runnable = block.file is not None or block.first_line == "# needs: server"
        assert runnable, f"a python block neither names its file nor needs a server:\n{block.text}"


def test_the_guide_test_files_pass_under_pytest(project: Path) -> None:
    files = sorted(str(p.relative_to(project)) for p in project.glob("test_*.py"))
    defined = sum(
        len(re.findall(r"^def test_", (project / f).read_text(), re.MULTILINE)) for f in files
    )
    done = run_python(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *files], project
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{defined} passed" in done.stdout, done.stdout


def test_the_guide_scripts_run(project: Path) -> None:
    scripts = [p for p in project.glob("*.py") if not p.name.startswith("test_")]
    assert scripts
    for script in scripts:
        done = run_python([script.name], project)
        assert done.returncode == 0, f"{script.name}:\n{done.stdout}{done.stderr}"


def test_the_server_mode_blocks_run_against_a_seeded_testing_server(
    project: Path, tmp_path: Path
) -> None:
    needing = [b for b in blocks() if b.first_line == "# needs: server"]
    assert needing
    server = start_server(
        tmp_path, "--testing", "--no-rate-limit", "--seed", str(project / "seed.yaml")
    )
    try:
        for block in needing:
            done = run_python(["-c", block.text], project, SMSSIGN_URL=server.url)
            assert done.returncode == 0, done.stdout + done.stderr
    finally:
        stop_server(server)
