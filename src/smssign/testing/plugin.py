"""The pytest plugin, registered by the `pytest11` entry point when smssign is installed.

Fixtures (each fresh per test, its state gone afterwards):

- `smssign_mock`: the in-process mock (`smssign.testing.mock()`) active for the test, so
  code calling the providers' real endpoints through requests or httpx reaches smssign.
- `smssign_server`: a real server on a free loopback port in a background thread
  (`url`, `port`, `endpoint`), for clients that need an address: command-line tools, subprocesses,
  other languages.
- `smssign_account`: an enterprise account on `smssign_server` (the dict that
  `smssign accounts create --json` prints).

Both `smssign_mock` and `smssign_server` offer `create_account(name, individual=False)`,
`approve(sign_id)`, `reject(sign_id, reason)`, `file(sign_id)`, `set_account(...)`,
`state()`, `reset()` and `seed(file)`.

Options, most specific first: the marker `@pytest.mark.smssign(auto_review="approve",
rate_limit=True, seed="seed.yaml")`, the command line (`--smssign-auto-review approve`,
`--smssign-seed FILE`), the ini file (`smssign_auto_review = approve`, `smssign_seed =
FILE`, relative to the ini file). Auto-review is off and rate limits are off by default.

Nothing heavy is imported until a fixture is used, so suites that never use them pay
nothing for the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from smssign.app.seed import Seed
    from smssign.testing.inprocess import SmsMock
    from smssign.testing.server import SmssignServer

AUTO_REVIEW = ("approve", "reject", "off")
MARKER = "smssign"
_SEEDS = pytest.StashKey[dict[str, "Seed"]]()
"""Seed files read once per run, by path."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smssign", "smssign fixtures (smssign_mock, smssign_server)")
    group.addoption(
        "--smssign-auto-review",
        choices=AUTO_REVIEW,
        default=None,
        help="Decide every submitted signature in the smssign fixtures: approve, reject or "
        "off (default; review with .approve()/.reject()).",
    )
    group.addoption(
        "--smssign-seed",
        default=None,
        metavar="FILE",
        help="Seed YAML the smssign fixtures start with (accounts and signatures).",
    )
    parser.addini(
        "smssign_auto_review", "approve, reject or off for the smssign fixtures", default="off"
    )
    parser.addini("smssign_seed", "seed YAML for the smssign fixtures", type="paths", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(auto_review=None, rate_limit=None, seed=None): options of the smssign "
        "fixtures for this test",
    )


class _Options:
    """What one test's fixtures run with."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        config = request.config
        marker = request.node.get_closest_marker(MARKER)
        given: dict[str, Any] = dict(marker.kwargs) if marker else {}
        unknown = set(given) - {"auto_review", "rate_limit", "seed"}
        if unknown:
            raise pytest.UsageError(f"@pytest.mark.smssign: unknown option(s) {sorted(unknown)}")
        auto_review = (
            given.get("auto_review")
            or config.getoption("--smssign-auto-review")
            or config.getini("smssign_auto_review")
            or "off"
        )
        if auto_review not in AUTO_REVIEW:
            raise pytest.UsageError(f"smssign auto_review must be one of {AUTO_REVIEW}")
        self.auto_review: str = auto_review
        self.rate_limit = bool(given.get("rate_limit", False))
        # Relative seed paths: a marker's from the test file, the command line's from
        # where pytest was started, the ini file's from the ini file.
        seed: Any = given.get("seed")
        base = request.path.parent
        if seed is None:
            seed, base = config.getoption("--smssign-seed"), config.invocation_params.dir
        if seed is None:
            paths = config.getini("smssign_seed")
            seed = paths[0] if paths else None
        self.seed: Seed | None = _seed(config, seed, base) if seed is not None else None


def _seed(config: pytest.Config, source: Any, base: Path) -> Seed:
    from smssign.app.seed import SeedError, load

    if isinstance(source, str | Path):
        source = base / source  # an absolute path stays as it is
    cache: dict[str, Seed] = config.stash.setdefault(_SEEDS, {})
    key = str(source) if isinstance(source, Path) else repr(source)
    if key not in cache:
        try:
            cache[key] = load(source)
        except SeedError as exc:
            raise pytest.UsageError(f"smssign seed: {exc}") from exc
    return cache[key]


@pytest.fixture
def smssign_mock(request: pytest.FixtureRequest) -> Iterator[SmsMock]:
    """The in-process mock, active for this test: provider hosts answered by smssign."""
    from smssign.testing.inprocess import Options, SmsMock

    options = _Options(request)
    with SmsMock(Options(options.auto_review, options.rate_limit, options.seed)) as sms:
        yield sms


@pytest.fixture
def smssign_server(request: pytest.FixtureRequest) -> Iterator[SmssignServer]:
    """A real smssign server on a free port, with a fresh database, for this test."""
    from smssign.testing.server import SmssignServer

    options = _Options(request)
    server = SmssignServer(
        auto_review=options.auto_review, rate_limit=options.rate_limit, seed=options.seed
    )
    with server:
        yield server


@pytest.fixture
def smssign_account(smssign_server: SmssignServer) -> dict[str, Any]:
    """An enterprise account on `smssign_server`, as `smssign accounts create --json` shows it."""
    return smssign_server.create_account("smssign-test-account")
