"""The `smssign` command: run the server, manage accounts, review signatures.

Command names, flags and JSON keys here are a contract other tools rely on.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import DEFAULT_DATABASE, Settings, data_dir_from_env
from smssign.backoffice.autoreview import Mode as AutoReviewMode
from smssign.core import errors
from smssign.core.accounts import Issued
from smssign.core.model import Certification, Dialect, QualificationStatus, Signature, Status
from smssign.store.keyring import (
    MasterKey,
    MasterKeyError,
    MasterKeys,
    is_apikey_digest,
    key_file_for,
    load_master_keys,
    write_key_file,
)
from smssign.store.repository import Resealed

if TYPE_CHECKING:
    from smssign.backoffice.services import Backoffice
    from smssign.backoffice.webhooks import Delivery, Webhook

T = TypeVar("T")

app = typer.Typer(
    help="smssign: a self-hostable SMS signature service speaking Tencent Cloud and Yunpian APIs.",
    no_args_is_help=True,
    add_completion=False,
)
accounts_app = typer.Typer(help="Create accounts, change their policy, rotate credentials.")
review_app = typer.Typer(help="Review signatures: list, approve, start filing, reject.")
qualifications_app = typer.Typer(help="Mainland qualifications that Tencent signatures refer to.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(review_app, name="review")
app.add_typer(qualifications_app, name="qualifications")
keys_app = typer.Typer(help="Master key for secrets at rest: generate one, rotate to a new one.")
app.add_typer(keys_app, name="keys")
operators_app = typer.Typer(help="Console operators: create them, issue admin API tokens.")
webhooks_app = typer.Typer(help="Per-account webhooks: where signature events are POSTed.")
app.add_typer(operators_app, name="operators")
app.add_typer(webhooks_app, name="webhooks")

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="SMSSIGN_DATABASE_URL",
        help="Database URL: sqlite:///path.db (default ./smssign.db) or postgresql://user@host/db.",
    ),
]
DataDirOption = Annotated[
    Path,
    typer.Option("--data-dir", envvar="SMSSIGN_DATA_DIR", help="Where proof images are stored."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for other tools.")]


def _run(settings: Settings, action: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_runtime(settings) as runtime:
            return await action(runtime)

    try:
        return asyncio.run(main())
    except (errors.SmssignError, MasterKeyError) as exc:
        typer.echo(f"error: {exc or type(exc).__name__}", err=True)
        raise typer.Exit(1) from exc


def _settings(database: str, data_dir: Path | None = None) -> Settings:
    return Settings(database_url=database, data_dir=data_dir or data_dir_from_env())


def issued_json(issued: Issued) -> dict[str, Any]:
    """The `accounts create --json` shape (a contract)."""
    account = issued.account
    out: dict[str, Any] = {
        "id": account.id,
        "name": account.name,
        "certification": account.certification.value,
    }
    creds = issued.credentials
    if Dialect.TENCENT in creds:
        c = creds[Dialect.TENCENT]
        out["tencent"] = {"secret_id": c.key_id, "secret_key": c.secret}
    if Dialect.LEGACY in creds:
        c = creds[Dialect.LEGACY]
        out["legacy"] = {"sdkappid": int(c.key_id), "appkey": c.secret}
    if Dialect.YUNPIAN in creds:
        apikey = creds[Dialect.YUNPIAN].key_id
        if is_apikey_digest(apikey):
            # Only the hash is stored: the apikey itself was shown when it was issued.
            out["yunpian"] = {"apikey": None, "apikey_sha256": apikey.removeprefix("sha256:")}
        else:
            out["yunpian"] = {"apikey": apikey}
    return out


def signature_json(signature: Signature) -> dict[str, Any]:
    return {
        "id": signature.id,
        "account_id": signature.account_id,
        "name": signature.name,
        "international": signature.international,
        "status": signature.status.value,
        "review_reply": signature.review_reply,
        "submitted_at": signature.submitted_at,
        "application_id": signature.application_id,
    }


# --- serve ----------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: DatabaseOption = DEFAULT_DATABASE,
    data_dir: DataDirOption = Path("./smssign-data"),
    no_rate_limit: Annotated[
        bool, typer.Option("--no-rate-limit", help="Turn the per-account rate limits off.")
    ] = False,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Create a demo account once and print its credentials."),
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
            "reviews) for test suites. Never on a production node.",
        ),
    ] = False,
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
        redis_url=redis or None,
        redis_prefix=redis_prefix,
        blobs_url=blobs or None,
        backoffice=backoffice,
        testing=testing,
        seed=seed,
    )
    if seed is not None:
        _apply_seed(settings, seed)
    if demo:
        from smssign.app.demo import ensure_demo, instructions

        made = _run(settings, ensure_demo)
        typer.echo(instructions(made, f"http://{_display_host(host)}:{port}"))
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
        applied = _run(settings, lambda rt: seeds.apply(rt, parsed))
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


# --- accounts -------------------------------------------------------------------------


@accounts_app.command("create")
def accounts_create(
    name: str,
    individual: Annotated[
        bool, typer.Option("--individual", help="Individually certified (the API refuses it).")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an account with credentials for every dialect; secrets are printed once."""
    issued = _run(_settings(database), lambda rt: rt.accounts.create(name, individual=individual))
    _print_issued(issued, as_json)


@accounts_app.command("show")
def accounts_show(
    account_id: int, as_json: JsonOption = False, database: DatabaseOption = DEFAULT_DATABASE
) -> None:
    """Show an account and its active credentials.

    The Yunpian apikey is stored as a hash only, so it is shown when issued (create,
    rotate) and never again: here it is null, with its SHA-256 to compare against.
    """
    issued = _run(_settings(database), lambda rt: rt.accounts.issued(account_id))
    _print_issued(issued, as_json)


@accounts_app.command("set")
def accounts_set(
    account_id: int,
    arrears: Annotated[
        bool | None, typer.Option("--arrears/--no-arrears", help="Suspend for unpaid bills.")
    ] = None,
    individual: Annotated[
        bool | None,
        typer.Option("--individual/--enterprise", help="Change the certification."),
    ] = None,
    ip_allow: Annotated[
        list[str] | None,
        typer.Option("--ip-allow", help="Allowed caller network (CIDR); repeat for more."),
    ] = None,
    clear_ip_allow: Annotated[
        bool, typer.Option("--clear-ip-allow", help="Remove the IP allow-list.")
    ] = False,
    quota: Annotated[
        int | None, typer.Option("--quota", help="Most signatures the account may hold.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Change an account's certification, arrears flag, IP allow-list or quota."""
    certification = None
    if individual is not None:
        certification = Certification.INDIVIDUAL if individual else Certification.ENTERPRISE
    allow = [] if clear_ip_allow else ip_allow

    account = _run(
        _settings(database),
        lambda rt: rt.accounts.update(
            account_id,
            certification=certification,
            arrears=arrears,
            ip_allow=allow,
            signature_quota=quota,
        ),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": account.id,
                    "name": account.name,
                    "certification": account.certification.value,
                    "arrears": account.arrears,
                    "ip_allow": list(account.ip_allow),
                    "signature_quota": account.signature_quota,
                }
            )
        )
    else:
        typer.echo(
            f"account {account.id}: {account.certification.value}, "
            f"arrears={'yes' if account.arrears else 'no'}, "
            f"ip-allow={','.join(account.ip_allow) or 'any'}, quota={account.signature_quota}"
        )


@accounts_app.command("rotate")
def accounts_rotate(
    account_id: int,
    dialect: Annotated[
        Dialect, typer.Option("--dialect", help="Which credential: tencent, legacy or yunpian.")
    ],
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Issue a new credential for one dialect and revoke the old one."""

    async def rotate(rt: Runtime) -> Issued:
        fresh = await rt.accounts.rotate(account_id, dialect)
        issued = await rt.accounts.issued(account_id)
        # The new credential as issued: a Yunpian apikey is readable only now.
        return Issued(issued.account, {**issued.credentials, dialect: fresh})

    issued = _run(_settings(database), rotate)
    _print_issued(issued, as_json)


def _print_issued(issued: Issued, as_json: bool) -> None:
    data = issued_json(issued)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(f"account {data['id']} {data['name']} ({data['certification']})")
    for dialect in ("tencent", "legacy", "yunpian"):
        if dialect in data:
            pairs = ", ".join(f"{k}={v}" for k, v in data[dialect].items() if v is not None)
            typer.echo(f"  {dialect}: {pairs}")
    if data.get("yunpian", {}).get("apikey", "") is None:
        typer.echo(
            "  (the Yunpian apikey is stored as a hash and was shown only when issued; "
            f"`smssign accounts rotate {data['id']} --dialect yunpian` issues a new one)"
        )


# --- keys -----------------------------------------------------------------------------


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random master key (for SMSSIGN_MASTER_KEY)."""
    typer.echo(MasterKey.generate().text())


@keys_app.command("rotate-master")
def keys_rotate_master(
    previous: Annotated[
        list[str] | None,
        typer.Option(
            "--previous",
            help="An older master key that stored secrets may still be sealed with; repeat "
            "for more (SMSSIGN_PREVIOUS_MASTER_KEYS is read too).",
        ),
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Seal every stored secret under the current master key.

    With SMSSIGN_MASTER_KEY set, that key is the new one: set it on every node with the
    old one in SMSSIGN_PREVIOUS_MASTER_KEYS, run this, then drop the old one. Without it
    (SQLite), a new key is made and written to the key file beside the database; the old
    key stays in the file until every secret is sealed under the new one.
    """
    try:
        keys = load_master_keys(database)
        extra = tuple(MasterKey.parse(text) for text in previous or [])
        keys = replace(keys, previous=(*keys.previous, *extra))
    except MasterKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    key_file = key_file_for(database) if keys.source != "environment" else None
    if key_file is not None:
        fresh = MasterKey.generate()
        # The old keys stay readable in the file until the pass below has finished.
        write_key_file(key_file, [fresh, keys.current, *keys.previous])
        keys = MasterKeys(fresh, (keys.current, *keys.previous), str(key_file))

    async def reseal() -> Resealed:
        async with open_runtime(_settings(database), master_keys=keys) as runtime:
            return await runtime.repository.reseal_credentials()

    try:
        done = asyncio.run(reseal())
    except (errors.SmssignError, MasterKeyError) as exc:
        typer.echo(f"error: {exc} (pass older keys with --previous)", err=True)
        raise typer.Exit(1) from exc
    if key_file is not None and not done.unreadable:
        write_key_file(key_file, [keys.current])
    report = {
        "master_key_id": keys.current.id,
        "sealed": done.sealed,
        "already_current": done.current,
        "apikeys_hashed": done.hashed,
        "unreadable_credential_ids": list(done.unreadable),
        "key_file": str(key_file) if key_file else None,
    }
    if as_json:
        typer.echo(json.dumps(report))
    else:
        typer.echo(
            f"master key {keys.current.id}: sealed {done.sealed} secret(s) anew, "
            f"{done.current} already current, hashed {done.hashed} apikey(s)"
        )
        if key_file is not None:
            typer.echo(f"key file {key_file} holds the new key")
    if done.unreadable:
        ids = ", ".join(str(i) for i in done.unreadable)
        typer.echo(
            f"error: no known master key opens the secrets of credential(s) {ids}; "
            "pass the key that sealed them with --previous",
            err=True,
        )
        raise typer.Exit(1)


# --- qualifications -------------------------------------------------------------------


@qualifications_app.command("add")
def qualifications_add(
    account_id: int,
    name: str,
    status: Annotated[
        QualificationStatus, typer.Option("--status", help="pending, approved or rejected.")
    ] = QualificationStatus.APPROVED,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Give an account a qualification; prints its id (use as QualificationId)."""
    q = _run(
        _settings(database), lambda rt: rt.accounts.add_qualification(account_id, name, status)
    )
    typer.echo(str(q.id))


# --- review ---------------------------------------------------------------------------


@review_app.command("list")
def review_list(
    status: Annotated[
        Status, typer.Option("--status", help="pending, filing, approved or rejected.")
    ] = Status.PENDING,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Signatures in one status, oldest submission first."""
    found = _run(_settings(database), lambda rt: rt.repository.signatures_with_status([status]))
    if as_json:
        typer.echo(json.dumps([signature_json(s) for s in found], ensure_ascii=False))
        return
    for s in found:
        scope = "international" if s.international else "mainland"
        typer.echo(f"{s.id}\taccount {s.account_id}\t{s.status.value}\t{scope}\t{s.name}")


def _review(database: str, sign_id: int, decision: Status, reason: str) -> None:
    signature = _run(
        _settings(database),
        lambda rt: rt.signatures.review(sign_id, decision, reason=reason, reviewer="cli"),
    )
    typer.echo(f"signature {signature.id}: {signature.status.value}")


@review_app.command("approve")
def review_approve(
    sign_id: int,
    reply: Annotated[str, typer.Option("--reply", help="A note shown as ReviewReply.")] = "",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Approve a pending or filing signature."""
    _review(database, sign_id, Status.APPROVED, reply)


@review_app.command("file")
def review_file(sign_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Approve a pending signature into carrier filing (报备中)."""
    _review(database, sign_id, Status.FILING, "")


@review_app.command("reject")
def review_reject(
    sign_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why; shown to the applicant.")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Reject a pending or filing signature with a reason."""
    _review(database, sign_id, Status.REJECTED, reason)


# --- operators ------------------------------------------------------------------------


def _run_backoffice(settings: Settings, action: Callable[[Backoffice], Awaitable[T]]) -> T:
    from smssign.backoffice.services import open_backoffice

    async def with_backoffice(runtime: Runtime) -> T:
        async with open_backoffice(runtime) as backoffice:
            return await action(backoffice)

    return _run(settings, with_backoffice)


def _read_password(from_stdin: bool, prompt: str) -> str:
    """One line of standard input, or a hidden prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@operators_app.command("create")
def operators_create(
    name: str,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create a console operator (argon2 password hash)."""
    password = _read_password(password_stdin, "Password")
    operator = _run_backoffice(_settings(database), lambda bo: bo.operators.create(name, password))
    typer.echo(f"operator {operator.id} {operator.name} created")


@operators_app.command("password")
def operators_password(
    name: str,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the new password from standard input."),
    ] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Set an operator's password and lift a lock-out."""
    password = _read_password(password_stdin, "New password")

    async def change(bo: Backoffice) -> None:
        await bo.operators.set_password(name, password)
        await bo.operators.unlock(name)

    _run_backoffice(_settings(database), change)
    typer.echo(f"operator {name}: password changed")


@operators_app.command("token")
def operators_token(
    name: str,
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Issue an admin API bearer token; it is printed alone on the last line, once."""
    token = _run_backoffice(_settings(database), lambda bo: bo.operators.issue_token(name, label))
    typer.echo(f"admin API token for {name} (shown once; send as Authorization: Bearer):")
    typer.echo(token)


@operators_app.command("list")
def operators_list(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Every operator."""
    for operator in _run_backoffice(_settings(database), lambda bo: bo.operators.operators()):
        state = "disabled" if operator.disabled_at else "active"
        typer.echo(f"{operator.id}\t{operator.name}\t{state}")


@operators_app.command("unlock")
def operators_unlock(name: str, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Lift a lock-out after too many failed logins."""
    _run_backoffice(_settings(database), lambda bo: bo.operators.unlock(name))
    typer.echo(f"operator {name}: unlocked")


# --- webhooks -------------------------------------------------------------------------


@webhooks_app.command("set")
def webhooks_set(
    account_id: int,
    url: str,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret", help="HMAC secret; without it the current one stays or one is made."
        ),
    ] = None,
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Keep the webhook but send nothing for now.")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Send the account's signature events to URL, signed with the secret."""
    hook = _run_backoffice(
        _settings(database),
        lambda bo: bo.webhooks.set(account_id, url, secret=secret, enabled=not disabled),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "account_id": hook.account_id,
                    "url": hook.url,
                    "secret": hook.secret,
                    "enabled": hook.enabled,
                }
            )
        )
        return
    typer.echo(
        f"account {hook.account_id}: webhook {hook.url} ({'enabled' if hook.enabled else 'paused'})"
    )
    if not secret:
        typer.echo(f"secret: {hook.secret}")


@webhooks_app.command("show")
def webhooks_show(
    account_id: int, as_json: JsonOption = False, database: DatabaseOption = DEFAULT_DATABASE
) -> None:
    """The account's webhook and its recent deliveries."""

    async def show(bo: Backoffice) -> tuple[Webhook | None, list[Delivery]]:
        await bo.runtime.accounts.get(account_id)
        return await bo.webhooks.get(account_id), await bo.store.deliveries(
            account_id=account_id, limit=20
        )

    hook, recent = _run_backoffice(_settings(database), show)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "webhook": None if hook is None else {"url": hook.url, "enabled": hook.enabled},
                    "deliveries": [
                        {
                            "id": d.id,
                            "type": d.type,
                            "status": d.status.value,
                            "attempts": d.attempts,
                            "last_status_code": d.last_status_code,
                            "last_error": d.last_error,
                        }
                        for d in recent
                    ],
                }
            )
        )
        return
    if hook is None:
        typer.echo(f"account {account_id}: no webhook")
    else:
        typer.echo(f"account {account_id}: {hook.url} ({'enabled' if hook.enabled else 'paused'})")
    for d in recent:
        typer.echo(f"{d.id}\t{d.type}\t{d.status.value}\tattempts={d.attempts}\t{d.last_error}")


@webhooks_app.command("remove")
def webhooks_remove(account_id: int, database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Stop sending; unfinished deliveries are cancelled."""
    removed = _run_backoffice(_settings(database), lambda bo: bo.webhooks.remove(account_id))
    typer.echo(f"account {account_id}: " + ("webhook removed" if removed else "had no webhook"))


def main() -> None:
    app()
