"""The README's two commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(python3 -m venv [^\n]+)\n```", text)


def test_readme_has_the_two_commands() -> None:
    install_run, install_test = readme_commands()[:2]
    assert "pip install -e ." in install_run and "smssign serve" in install_run
    assert "pip install -e '.[test]'" in install_test and install_test.endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    test_command = readme_commands()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
