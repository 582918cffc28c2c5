"""`smssign serve` parses its options exactly as typer does, values and errors alike."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from smssign.cli.plain_options import PlainOptionsCommand
from smssign.cli.serve import serve


def parser(cls: type[typer.core.TyperCommand] | None) -> tuple[typer.Typer, dict[str, Any]]:
    """An app with `serve`'s options whose command records what it was given."""
    seen: dict[str, Any] = {}

    @functools.wraps(serve)
    def record(**options: Any) -> None:
        seen.update(options)

    app = typer.Typer(add_completion=False)
    app.command(cls=cls)(record) if cls is not None else app.command()(record)
    return app, seen


def parse(
    cls: type[typer.core.TyperCommand] | None, args: list[str]
) -> tuple[int, str, dict[str, Any]]:
    app, seen = parser(cls)
    result = CliRunner().invoke(app, args, env={"SMSSIGN_DATA_DIR": None})
    return result.exit_code, result.output, {k: (type(v), v) for k, v in seen.items()}


CASES = [
    [],
    ["--port", "9000", "--host", "0.0.0.0", "--database", "sqlite:///x.db"],
    ["--data-dir", "some/dir", "--seed", "seed.yaml", "--auto-review-rules", "rules.toml"],
    ["--delivery-delay", "2", "--webhook-retry-every", "0.5", "--graceful-timeout", "0"],
    ["--auto-review", "approve", "--auto-review-delay", "1.25", "--workers", "3"],
    ["--no-rate-limit", "--testing", "--demo", "--redis", "redis://r:6379/0"],
    # typer's own errors and conversions: out of range, not numbers, unknown choices.
    ["--port", "eighty"],
    ["--port", "80.5"],
    ["--port", " 81"],
    ["--workers", "0"],
    ["--delivery-delay", "-1"],
    ["--delivery-delay", "1e3"],
    ["--header-timeout", "0.01"],
    ["--auto-review", "APPROVE"],
    ["--auto-review", "sometimes"],
    ["--data-dir", ""],
]


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_serve_options_parse_as_typer_parses_them(args: list[str]) -> None:
    assert parse(PlainOptionsCommand, args) == parse(None, args)


def test_plain_values_are_taken_without_pydantic(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "import smssign.cli, smssign.app.serving as serving\n"
        "serving.run = lambda *a, **k: print('pydantic' in sys.modules)\n"
        "sys.argv = ['smssign', 'serve', '--port', '1', '--data-dir', sys.argv[1], "
        "'--database', 'sqlite:///' + sys.argv[1] + '/db', '--delivery-delay', '0.5']\n"
        "smssign.cli.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr
