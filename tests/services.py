"""The machine's PostgreSQL and Redis, for tests that need them.

Locally a test that needs a service skips when the service is not running; in CI
(`CI=true`) it fails instead, so that a missing service never passes for a green run.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from tests.databases import DEFAULT_ADMIN_URL, admin_url

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    url = os.environ.get("SMSSIGN_TEST_REDIS") or DEFAULT_REDIS_URL
    _require(url, "Redis")
    return url


def postgres_admin_url() -> str:
    url = admin_url() or DEFAULT_ADMIN_URL
    _require(url, "PostgreSQL")
    return url


def _require(url: str, what: str) -> None:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return
    except OSError as exc:
        message = f"{what} is not reachable at {parts.hostname}:{parts.port} ({exc})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
