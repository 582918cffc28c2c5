"""Server settings: command-line flags over environment variables over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///./smssign.db"


def database_from_env() -> str:
    return os.environ.get("SMSSIGN_DATABASE_URL") or DEFAULT_DATABASE


def lock_timeout_from_env() -> float:
    """SMSSIGN_DATABASE_LOCK_TIMEOUT, in seconds; 5 when unset."""
    text = os.environ.get("SMSSIGN_DATABASE_LOCK_TIMEOUT")
    if not text:
        return 5.0
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError(f"SMSSIGN_DATABASE_LOCK_TIMEOUT={text!r} is not a positive number")
    return value


def data_dir_from_env() -> Path:
    return Path(os.environ.get("SMSSIGN_DATA_DIR") or "./smssign-data")


@dataclass(frozen=True, slots=True)
class BackofficeSettings:
    """The review console's helpers that run inside the server: auto-review and webhooks."""

    auto_review: str = "off"
    """approve, reject or off: the decision for signatures no auto-review rule matched."""
    auto_review_delay: float = 0.0
    """Seconds a submission waits before auto-review decides (and again after filing)."""
    auto_review_rules: Path | None = None
    webhook_retry_delays: tuple[float, ...] = (60.0, 300.0, 600.0)
    """Seconds before the 2nd, 3rd, ... attempt; after these, every `webhook_retry_every`."""
    webhook_retry_every: float = 3600.0
    webhook_give_up_after: float = 24 * 3600.0
    """A delivery is abandoned once its next attempt would start later than this after the event."""
    webhook_timeout: float = 10.0
    poll_interval: float = 0.5
    """How often the delivery worker and auto-review look for work."""
    workers: bool = True
    """Run the delivery worker and auto-review in this process."""
    secret_key: str | None = field(default_factory=lambda: os.environ.get("SMSSIGN_SECRET_KEY"))
    """Signs console cookies; by default a random key kept in the database."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = field(default_factory=database_from_env)
    database_lock_timeout: float = field(default_factory=lock_timeout_from_env)
    """Seconds a write waits for the database's write lock (held by another process, or
    by the writes queued before it) before it answers the dialect's internal error; the
    refused write is never applied."""
    data_dir: Path = field(default_factory=data_dir_from_env)
    rate_limits: Mapping[str, str] | None = None
    """Per account and action, keyed `<dialect>:<action>`; None for the defaults each
    dialect declares (its provider.py)."""
    rate_limit_enabled: bool = True
    """False (`--no-rate-limit`): no API rate limits and no per-number frequency limits."""
    delivery_delay: float = 0.0
    """`serve --delivery-delay S`: seconds after which simulated delivery decides each
    accepted message (delivered, unless an outcome rule says otherwise)."""
    refuse_retired_actions: bool = False
    """`serve --refuse-retired-actions`: a dialect answers the actions its provider retired
    as that provider now does; by default they work, because the clients still ship them."""
    max_body_bytes: int = 12 * 1024 * 1024
    """The server refuses bodies above this before any dialect reads them."""
    backoffice: BackofficeSettings = field(default_factory=BackofficeSettings)
    redis_url: str | None = field(default_factory=lambda: os.environ.get("SMSSIGN_REDIS_URL"))
    """redis://…: rate limits and the replay cache shared by every node; None keeps them
    in this process's memory."""
    redis_prefix: str = "smssign"
    """Prefix of every Redis key, so that two deployments can share one Redis."""
    blobs_url: str | None = field(default_factory=lambda: os.environ.get("SMSSIGN_BLOBS"))
    """Where proof images go: None or file:///path for the filesystem under `data_dir`,
    s3://bucket/prefix?endpoint_url=…&region=… for an S3-compatible store."""
    testing: bool = False
    """`serve --testing`: mount the unauthenticated `/_smssign/` routes (reset, state,
    seed, accounts, reviews). Never on a production node."""
    inbox: bool = False
    """Mount the message inbox (`/_smssign/messages…`, unauthenticated) without the other
    testing routes: `serve --demo` does, so its printed curl reads the demo's send back.
    `testing` mounts it too."""
    seed: Path | None = None
    """`serve --seed FILE.yaml`: what `POST /_smssign/reset` restores after erasing."""
