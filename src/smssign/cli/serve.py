"""`smssign serve`: run the server, on SQLite by default, with --demo, --testing and --seed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from smssign.app.settings import DEFAULT_DATABASE, Settings
from smssign.backoffice.autoreview import Mode as AutoReviewMode
from smssign.cli.common import (
    DatabaseOption,
    DataDirOption,
    run,
)
from smssign.store.keyring import (
    MasterKeyError,
)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: DatabaseOption = DEFAULT_DATABASE,
    data_dir: DataDirOption = Path("./smssign-data"),
    no_rate_limit: Annotated[
        bool,
        typer.Option(
            "--no-rate-limit",
            help="Turn the per-account API rate limits and the sending frequency limits "
            "(per number and account-wide quotas) off.",
        ),
    ] = False,
    refuse_retired_actions: Annotated[
        bool,
        typer.Option(
            "--refuse-retired-actions",
            envvar="SMSSIGN_REFUSE_RETIRED_ACTIONS",
            help="Answer the API actions a provider has retired as retired (its 404 'no such "
            "API' error, in its envelope). By default they still work, as clients ship them.",
        ),
    ] = False,
    delivery_delay: Annotated[
        float,
        typer.Option(
            "--delivery-delay",
            min=0,
            help="Seconds before simulated delivery reports each accepted message "
            "(delivered, unless an outcome rule or magic test number says otherwise).",
        ),
    ] = 0.0,
    message_retention_days: Annotated[
        float,
        typer.Option(
            "--message-retention-days",
            min=0,
            envvar="SMSSIGN_MESSAGE_RETENTION_DAYS",
            help="Days messages, replies and their webhook and status-report deliveries are "
            "kept; older ones are pruned in the background. 0 keeps them forever.",
        ),
    ] = 30.0,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Create a demo account and console operator once; print how to use them "
            "(client command lines, and the curl that reads the sent message back). Mounts the "
            "unauthenticated message inbox /_smssign/messages (not the other --testing routes).",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    redis: Annotated[
        str | None,
        typer.Option(
            "--redis",
            envvar="SMSSIGN_REDIS_URL",
            help="redis://host:6379/0: rate limits and replay cache shared by all nodes.",
        ),
    ] = None,
    redis_prefix: Annotated[
        str,
        typer.Option(
            "--redis-prefix",
            envvar="SMSSIGN_REDIS_PREFIX",
            help="Prefix of smssign's Redis keys; give each deployment on one Redis its own.",
        ),
    ] = "smssign",
    blobs: Annotated[
        str | None,
        typer.Option(
            "--blobs",
            envvar="SMSSIGN_BLOBS",
            help="Proof images: file:///path (default: <data-dir>/blobs) or "
            "s3://bucket/prefix?endpoint_url=…&region=… (needs smssign[s3]).",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes on this node.")
    ] = 1,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format", envvar="SMSSIGN_LOG_FORMAT", help="text, or json (one object a line)."
        ),
    ] = "text",
    graceful_timeout: Annotated[
        int,
        typer.Option(
            "--graceful-timeout",
            min=0,
            help="On SIGTERM, seconds to let requests in flight finish before closing.",
        ),
    ] = 30,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            envvar="FORWARDED_ALLOW_IPS",
            help="Proxies (comma-separated addresses) whose X-Forwarded-For gives the caller's "
            "address for IP allow-lists; default 127.0.0.1.",
        ),
    ] = None,
    auto_review: Annotated[
        AutoReviewMode,
        typer.Option(
            "--auto-review",
            help="Decide pending signatures without a person: approve, reject or off.",
        ),
    ] = AutoReviewMode.OFF,
    auto_review_delay: Annotated[
        float,
        typer.Option("--auto-review-delay", min=0, help="Seconds a submission waits first."),
    ] = 0.0,
    auto_review_rules: Annotated[
        Path | None,
        typer.Option(
            "--auto-review-rules", help="TOML rules: reject names by pattern, file a scope first."
        ),
    ] = None,
    webhook_retry_delays: Annotated[
        str,
        typer.Option(
            "--webhook-retry-delays",
            help="Seconds before each webhook retry, comma-separated; hourly afterwards.",
        ),
    ] = "60,300,600",
    webhook_retry_every: Annotated[
        float,
        typer.Option("--webhook-retry-every", min=0.1, help="Seconds between retries after those."),
    ] = 3600.0,
    webhook_give_up_after: Annotated[
        float,
        typer.Option(
            "--webhook-give-up-after", min=0, help="Seconds after the event to stop retrying."
        ),
    ] = 86400.0,
    testing: Annotated[
        bool,
        typer.Option(
            "--testing",
            help="Mount the unauthenticated /_smssign/ routes (reset, state, seed, accounts, "
            "reviews, the message inbox) for test suites. Never on a production node.",
        ),
    ] = False,
    header_timeout: Annotated[
        float,
        typer.Option(
            "--header-timeout",
            min=0.1,
            help="Seconds a client has to send a request's headers; slower sockets are closed.",
        ),
    ] = 10.0,
    body_timeout: Annotated[
        float,
        typer.Option(
            "--body-timeout",
            min=0.1,
            help="Seconds a request body may stall before the connection is closed.",
        ),
    ] = 15.0,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout", min=0.1, help="Seconds to receive a whole request, body included."
        ),
    ] = 120.0,
    seed: Annotated[
        Path | None,
        typer.Option(
            "--seed",
            help="YAML file of accounts and signatures to create on start (kept if they "
            "exist); with --testing, POST /_smssign/reset restores it.",
        ),
    ] = None,
) -> None:
    """Run the server (migrations are applied on start)."""
    from smssign.app import serving
    from smssign.app.connections import HttpLimits
    from smssign.app.settings import BackofficeSettings
    from smssign.backoffice.autoreview import RulesError, load_policy
    from smssign.backoffice.webhooks import parse_delays

    if log_format not in serving.LOG_FORMATS:
        raise typer.BadParameter("use text or json", param_hint="--log-format")
    try:
        load_policy(auto_review, auto_review_delay, auto_review_rules)
    except RulesError as exc:
        raise typer.BadParameter(str(exc), param_hint="--auto-review") from exc
    try:
        delays = parse_delays(webhook_retry_delays)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--webhook-retry-delays") from exc
    backoffice = BackofficeSettings(
        auto_review=auto_review.value,
        auto_review_delay=auto_review_delay,
        auto_review_rules=auto_review_rules,
        webhook_retry_delays=delays,
        webhook_retry_every=webhook_retry_every,
        webhook_give_up_after=webhook_give_up_after,
    )
    settings = Settings(
        database_url=database,
        data_dir=data_dir,
        rate_limit_enabled=not no_rate_limit,
        refuse_retired_actions=refuse_retired_actions,
        delivery_delay=delivery_delay,
        message_retention_days=message_retention_days,
        redis_url=redis or None,
        redis_prefix=redis_prefix,
        blobs_url=blobs or None,
        backoffice=backoffice,
        testing=testing,
        inbox=demo,
        seed=seed,
    )
    if seed is not None:
        _apply_seed(settings, seed)
    if demo:
        from smssign.app.demo import console_login, ensure_demo, ensure_demo_operator, instructions

        endpoint = f"http://{_display_host(host)}:{port}"
        made = run(settings, ensure_demo)
        operator = run(settings, ensure_demo_operator)
        typer.echo(instructions(made, endpoint))
        typer.echo("")
        typer.echo(console_login(operator, endpoint))
        sys.stdout.flush()
    try:
        serving.run(
            settings,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            log_format=log_format,
            graceful_timeout=graceful_timeout,
            forwarded_allow_ips=forwarded_allow_ips,
            limits=HttpLimits(
                header_timeout=header_timeout,
                body_timeout=body_timeout,
                request_timeout=request_timeout,
            ),
        )
    except MasterKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _apply_seed(settings: Settings, path: Path) -> None:
    from smssign.app import seed as seeds

    try:
        parsed = seeds.load(path)
    except seeds.SeedError as exc:
        raise typer.BadParameter(str(exc), param_hint="--seed") from exc
    try:
        applied = run(settings, lambda rt: seeds.apply(rt, parsed))
    except seeds.SeedError as exc:
        raise typer.BadParameter(str(exc), param_hint="--seed") from exc
    for made in applied["accounts"]:
        shown = json.dumps(made, ensure_ascii=False)
        typer.echo(f"seeded account {made['id']} {made['name']}: {shown}")
    for name in applied["kept"]:
        typer.echo(f"seed: account {name} exists; left as it is")
    sys.stdout.flush()


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
