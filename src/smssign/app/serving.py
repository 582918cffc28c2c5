"""Runs the app under uvicorn: one process or N workers, logs, graceful shutdown.

With `--workers N` uvicorn starts N processes that each import the app factory
`smssign.app.server:app_from_environment`; the settings travel to them in an environment
variable, and Prometheus counters are kept in a shared directory so that `/metrics` on
any worker shows the node's totals. On SIGTERM uvicorn stops accepting connections, lets
requests in flight finish (up to `graceful_timeout` seconds), then closes the database.

Connections are bounded (`smssign.app.connections`): request headers at most 64 KiB, and
read within `header_timeout` seconds; bodies that stall for `body_timeout` seconds and
requests not received within `request_timeout` seconds are cut off. WebSockets are off:
nothing here serves them.
"""

from __future__ import annotations

import logging
import logging.config
import os
import tempfile
from typing import Any

from smssign.app.connections import LIMITS_ENV, PROTOCOL, HttpLimits
from smssign.app.settings import Settings
from smssign.store.keyring import load_master_keys
from smssign.web.observability import log_config

log = logging.getLogger(__name__)

LOG_FORMATS = ("text", "json")


def run(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    log_level: str = "info",
    log_format: str = "text",
    graceful_timeout: int = 30,
    forwarded_allow_ips: str | None = None,
    limits: HttpLimits | None = None,
) -> None:
    import uvicorn

    config = log_config(log_level, log_format)
    logging.config.dictConfig(config)
    # Fail here, once, rather than in every worker: a PostgreSQL node without a master key.
    load_master_keys(settings.database_url)
    if workers > 1 and not settings.redis_url:
        log.warning(
            "%d workers without --redis: rate limits and the replay cache are kept per worker",
            workers,
        )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": PROTOCOL,
        "ws": "none",
        "log_level": log_level,
        "log_config": config,
        "access_log": False,
        "timeout_graceful_shutdown": graceful_timeout,
        # A worker still importing on a busy machine is not hung: uvicorn's 5 s default
        # kills and respawns workers that are merely slow to start.
        "timeout_worker_healthcheck": 30,
        # Behind nginx the socket peer is the proxy; uvicorn takes the caller's address
        # from X-Forwarded-For, but only when the peer is one of these.
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
    }
    # Read by the protocol class in this process and in every worker it starts.
    os.environ[LIMITS_ENV] = (limits or HttpLimits()).to_environment()
    if workers <= 1:
        from smssign.app.server import create_app

        uvicorn.run(create_app(settings), **options)
        return

    from smssign.app.server import SETTINGS_ENV, encode_settings

    with tempfile.TemporaryDirectory(prefix="smssign-metrics-") as metrics_dir:
        # Read by prometheus_client when each worker imports it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        os.environ[SETTINGS_ENV] = encode_settings(settings)
        uvicorn.run(
            "smssign.app.server:app_from_environment",
            factory=True,
            workers=workers,
            **options,
        )
