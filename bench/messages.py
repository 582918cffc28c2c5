"""The message scale row: the inbox's latest message and PullSmsSendStatus at two sizes.

A server that has sent for a month holds millions of messages. This phase serves two
SQLite databases at once, one of `small` and one of `large` stored messages (10 000 and
10 000 000 in a full run), both with `--testing` so that the inbox is mounted, and
measures, like the signature scale phase, each target's peak on the small one and then
its latency at one offered load (half that peak) on both, in alternating rounds, and
the servers' RSS at the end.

The databases are filled fast, without the API: a few real accounts are made through
smssign's services (their secrets kept in a manifest beside the cache), then plain
sqlite3 `executemany` writes the filler accounts and the messages into the schema the
migrations made, with the messages' indexes dropped during the load and built again
after it (one sort each, instead of ten million B-tree inserts). The shape:

- message n belongs to account n mod A (A = one per 10 000 messages, at least the real
  ones), to number +86139… n mod (size / 20), so each number has about 20 messages;
- spread over the last 29 days (inside the default retention), every one delivered and
  pulled, except the newest 200 of each real account, which wait in its report queue.

A database is cached under the bench data directory and reused while it still holds the
expected number of messages. `--messages N` (or SMSSIGN_BENCH_MESSAGES) sets the large
size, for a quicker run.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import calls, seed, servers
from bench.load import Measurement, Scenario, measure
from smssign.backoffice.accounts import issued_json
from smssign.store.keyring import load_master_keys

ENV = "SMSSIGN_BENCH_MESSAGES"
SEED_VERSION = 1
PER_ACCOUNT = 10_000
PER_NUMBER = 20
REAL_ACCOUNTS = 4
UNPULLED = 200
"""Reported and not yet pulled, per real account: what the first pulls hand out."""
SPAN = 29 * 86400.0
CHUNK = 50_000
TARGETS = ("latest", "pull")
LABELS = {
    "latest": "GET /_smssign/messages/latest",
    "pull": "PullSmsSendStatus (Limit 10)",
}
COLUMNS = (
    "id", "account_id", "dialect", "mobile", "sign", "signature_id", "template_id",
    "template_type", "params", "text", "parts", "fee", "provider_message_id", "session",
    "extend", "status", "error_code", "created_at", "reported_at", "due_at", "pulled_at",
    "callback_url",
)  # fmt: skip


@dataclass
class Store:
    """A filled database and what the load needs to address it."""

    database_url: str
    size: int
    accounts: list[dict[str, Any]]
    mobiles: list[str] = field(default_factory=list)
    seeded_in: float | None = None


def _numbers(size: int) -> int:
    return max(1, size // PER_NUMBER)


def _mobile(n: int, numbers: int) -> str:
    return f"+86139{n % numbers:08d}"


def sample_mobiles(size: int, count: int = 256) -> list[str]:
    """Numbers that have messages, spread over the whole range."""
    numbers = _numbers(size)
    step = max(1, numbers // count)
    return [_mobile(n, numbers) for n in range(0, numbers, step)][:count]


def _count(path: Path) -> int | None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0)
    except sqlite3.Error:
        return None


async def database(size: int, data_dir: Path) -> Store:
    """The cached database of `size` messages, filling it first if need be."""
    name = f"messages-{size}-v{SEED_VERSION}"
    path = data_dir / f"{name}.db"
    manifest = data_dir / f"{name}.json"
    database_url = f"sqlite:///{path}"
    data_dir.mkdir(parents=True, exist_ok=True)
    if manifest.exists() and _count(path) == size:
        saved = json.loads(manifest.read_text())
        return Store(database_url, size, saved["accounts"], sample_mobiles(size))
    manifest.unlink(missing_ok=True)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    keys = load_master_keys(database_url, environ={})
    async with seed._runtime(database_url, data_dir / f"{name}-blobs", keys) as runtime:
        real = [
            issued_json(await runtime.accounts.create(f"bench-messages-{i}"))
            for i in range(REAL_ACCOUNTS)
        ]
    _fill(path, size, [a["id"] for a in real])
    manifest.write_text(json.dumps({"accounts": real}, indent=1))
    return Store(
        database_url, size, real, sample_mobiles(size), seeded_in=time.perf_counter() - started
    )


def _fill(path: Path, size: int, real_ids: list[int]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # A throwaway load: no journal, no fsync; the file is switched back to WAL after.
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA temp_store=MEMORY")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' "
            "AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN")
        for index, _ in indexes:
            conn.execute(f'DROP INDEX "{index}"')
        n_accounts = max(len(real_ids), size // PER_ACCOUNT)
        first = max(real_ids) + 1
        account_ids = real_ids + list(range(first, first + n_accounts - len(real_ids)))
        now = time.time()
        conn.executemany(
            "INSERT INTO accounts (id, name, certification, arrears, ip_allow, signature_quota, "
            "created_at, balance, frequency_limits) VALUES (?, ?, 'enterprise', 0, '[]', 100, "
            "?, 1000000, '{}')",
            (
                (a, f"bench-messages-filler-{a}", now - 400 * 86400)
                for a in account_ids[len(real_ids) :]
            ),
        )
        placeholders = ", ".join("?" for _ in COLUMNS)
        insert = f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        rows = _rows(size, account_ids, set(real_ids), now)
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                break
            conn.executemany(insert, chunk)
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def _rows(
    size: int, account_ids: list[int], real: set[int], now: float
) -> Iterator[tuple[Any, ...]]:
    n_accounts = len(account_ids)
    numbers = _numbers(size)
    start = now - SPAN
    step = SPAN / size
    # The newest UNPULLED messages of each real account stay in its report queue.
    queued_from = size - UNPULLED * n_accounts
    text = "【压测】您的验证码是123456，5分钟内有效。"
    params = '["123456","5"]'
    for n in range(1, size + 1):
        account = account_ids[n % n_accounts]
        at = start + n * step
        pulled = None if (n > queued_from and account in real) else at + 60
        yield (
            n, account, "tencent_v3", _mobile(n, numbers), "压测", None, 1, "verification",
            params, text, 1, 1, f"2433:{n:028d}", "", "", "delivered", None, at, at + 5, None,
            pulled, None,
        )  # fmt: skip


def scenario(target: str, store: Store, port: int) -> Scenario:
    if target == "latest":
        requests = [calls.inbox_latest(port, mobile) for mobile in store.mobiles]
        return Scenario(f"latest-{store.size}", port, requests, calls.inbox_ok)
    requests = [calls.pull_send_status(port, account) for account in store.accounts]
    return Scenario(f"pull-{store.size}", port, requests, calls.tencent_ok)


async def phase(
    sizes: tuple[int, int],
    data_dir: Path,
    workdir: Path,
    *,
    rounds: int,
    duration: float,
    warmup: float,
    connections: int,
    settle: bool,
) -> list[dict[str, Any]]:
    """Both sizes served at once; each target's peak on the small one, then its latency
    at half that peak on both, alternating; one row per target and size."""
    stores: dict[int, Store] = {}
    for size in sizes:
        started = time.perf_counter()
        stores[size] = await database(size, data_dir)
        how = "filled" if stores[size].seeded_in else "from cache"
        took = time.perf_counter() - started
        print(f"    {size:,} messages: {how} in {took:.1f} s", flush=True)
    running: dict[int, servers.Server] = {}
    rows: list[dict[str, Any]] = []
    try:
        for size, store in stores.items():
            running[size] = servers.start_smssign(
                workdir / f"messages-{size}",
                store.database_url,
                name=f"smssign-messages-{size}",
                args=("--testing",),
            )

        def calm() -> None:
            if settle:
                for server in running.values():
                    server.settle()

        for target in TARGETS:
            scenarios = {size: scenario(target, stores[size], running[size].port) for size in sizes}
            calm()
            peak = await measure(
                scenarios[sizes[0]],
                connections=connections,
                duration=duration,
                warmup=warmup,
                server=running[sizes[0]].ps,
            )
            rate = max(1.0, peak.req_s / 2)
            fixed: dict[int, list[Measurement]] = {size: [] for size in sizes}
            for _ in range(rounds):
                for size in sizes:
                    calm()
                    fixed[size].append(
                        await measure(
                            scenarios[size],
                            connections=connections,
                            duration=duration,
                            warmup=warmup,
                            rate=rate,
                            server=running[size].ps,
                        )
                    )
            for size in sizes:
                runs = fixed[size]
                row: dict[str, Any] = {
                    "target": target,
                    "label": LABELS[target],
                    "messages": size,
                    "peak_req_s": round(peak.req_s, 1) if size == sizes[0] else None,
                    "rate": round(rate, 1),
                    "p50_ms": round(statistics.median(m.p50_ms for m in runs), 3),
                    "p99_ms": round(statistics.median(m.p99_ms for m in runs), 3),
                    "p50_rounds_ms": [round(m.p50_ms, 3) for m in runs],
                    "errors": sum(m.errors for m in runs)
                    + (peak.errors if size == sizes[0] else 0),
                    "error_samples": [s for m in runs for s in m.error_samples][:3],
                }
                rows.append(row)
                print(
                    f"      {LABELS[target]:32s} {size:>11,}: at {rate:.0f} req/s "
                    f"p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms",
                    flush=True,
                )
        for row in rows:
            row["rss_mb"] = round(running[int(row["messages"])].rss() / 2**20, 1)
    finally:
        for server in running.values():
            server.stop()
    for size, server in running.items():
        if "Traceback" in server.log():
            raise RuntimeError(
                f"{size:,} messages: a Traceback was logged:\n{server.log()[-2000:]}"
            )
    for row in rows:
        row["seeded_in_s"] = round(stores[int(row["messages"])].seeded_in or 0, 1) or None
    return rows
