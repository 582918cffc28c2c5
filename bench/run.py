"""The benchmark run: every measurement of issue 6 in one process, on one machine, back to back.

Numbers on a shared machine drift, so what counts is the ratio of a target to the
baseline measured in the same round. Each round measures every target once, one after
the other (baseline, DescribeSmsSignList, ModifySmsSign, Yunpian get.json, legacy
get_sign, moto ListTopics), and the reported ratio is the median of the per-round ratios.

Phases: throughput rounds (closed loop), latency at half of each target's peak (open
loop), a py-spy profile of the smssign hot paths (full runs), cold starts, and the scale
runs (DescribeSmsSignList at two database sizes on SQLite and PostgreSQL). A phase that
cannot run (no PostgreSQL, no moto_server) is reported as missing with the reason; the
others still run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import calls, profile, report, seed, servers
from bench.load import Measurement, Scenario, measure
from bench.wire import exchange

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_DATA = BENCH_DIR / ".data"
POSTGRESQL_ENV = "SMSSIGN_BENCH_POSTGRESQL"
MESSAGES_ENV = "SMSSIGN_BENCH_MESSAGES"


@dataclass(frozen=True)
class Plan:
    """How long and how big each phase is."""

    name: str
    rounds: int
    duration: float
    warmup: float
    connections: int
    half_load_duration: float
    cold_starts: int
    mock_calls: int
    """Timed SDK calls per contender in the in-process mock phase."""
    scale_sizes: tuple[int, int]
    scale_duration: float
    profile_seconds: float
    accounts: int
    settle: bool = True
    """Wait for the servers to go idle before each measurement (not worth it in a smoke run)."""
    message_sizes: tuple[int, int] = (10_000, 10_000_000)
    """Stored messages of the two databases of the message scale phase."""


PLANS = {
    "full": Plan("full", 3, 5.0, 1.0, 16, 5.0, 5, 2000, (1_000, 1_000_000), 6.0, 8.0, 8),
    "quick": Plan(
        "quick", 2, 3.0, 0.5, 16, 3.0, 3, 600, (1_000, 100_000), 3.0, 0.0, 8,
        message_sizes=(10_000, 1_000_000),
    ),
    "smoke": Plan(
        "smoke", 1, 0.3, 0.1, 4, 0.3, 1, 20, (100, 1_000), 0.3, 0.0, 2, settle=False,
        message_sizes=(1_000, 10_000),
    ),
}  # fmt: skip

THROUGHPUT_ORDER = (
    "baseline", "describe", "modify", "send", "send200", "yunpian", "legacy", "moto",
)  # fmt: skip
LABELS = {
    "baseline": "baseline: bare Starlette JSON endpoint",
    "describe": "DescribeSmsSignList (TC3 POST)",
    "modify": "ModifySmsSign (TC3 POST, 20 KB PNG)",
    "send": "SendSms (TC3 POST, 1 number)",
    "send200": "SendSms (TC3 POST, 200 numbers), msg/s",
    "yunpian": "Yunpian /v2/sign/get.json",
    "legacy": "legacy /v5/tlssmssvr/get_sign",
    "moto": "moto_server SNS ListTopics",
}
PROFILED = ("describe", "modify", "send", "send200")
SMSSIGN_SCENARIOS = ("describe", "modify", "send", "send200", "yunpian", "legacy")
MESSAGES_PER_REQUEST = {"send": 1, "send200": 200}
"""A send row's rate is in messages: requests/s × the numbers in each request."""
SEND_REQUESTS = 64
"""Distinct SendSms requests per account (each to other numbers), signed ahead."""
MOTO_TOPICS = 10


class Run:
    """State shared by the phases: the servers, the fixture, the results so far."""

    def __init__(
        self,
        plan: Plan,
        workdir: Path,
        data_dir: Path,
        postgresql: str | None,
        *,
        keep_databases: bool = True,
    ) -> None:
        self.plan = plan
        self.keep_databases = keep_databases
        self.workdir = workdir
        self.data_dir = data_dir
        self.postgresql = postgresql
        self.proof = calls.proof_png()
        self.proof_b64 = calls.b64(self.proof)
        self.servers: dict[str, servers.Server] = {}
        self.fixture: seed.Fixture | None = None
        self.results: dict[str, Any] = {
            "plan": plan.__dict__,
            "machine": machine(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_generator": "raw asyncio protocol, HTTP/1.1 keep-alive, requests signed ahead",
            "throughput": [],
            "rounds": [],
            "half_load": [],
            "cold_start": [],
            "mock": [],
            "scale": [],
            "message_scale": [],
            "profiles": {},
            "missing": [],
        }

    # --- helpers -----------------------------------------------------------------------

    def missing(self, what: str, reason: str) -> None:
        print(f"  ! {what}: {reason}", flush=True)
        self.results["missing"].append({"what": what, "reason": reason})

    def scenario(self, name: str) -> Scenario:
        """The scenario's requests, signed now (TC3 accepts ±300 s, legacy ±600 s)."""
        if name == "baseline":
            port = self.servers["baseline"].port
            return Scenario(name, port, [calls.baseline_get(port)], calls.baseline_ok)
        if name == "moto":
            port = self.servers["moto"].port
            return Scenario(name, port, [calls.sns_list_topics(port)], calls.sns_ok)
        port = self.servers["smssign"].port
        fixture = self.fixture
        assert fixture is not None
        accounts = fixture.accounts
        if name == "describe":
            requests = [calls.describe_sign_list(port, a) for a in accounts]
            return Scenario(name, port, requests, calls.tencent_ok)
        if name == "modify":
            requests = [
                calls.modify_sign(port, accounts[i], sign_id, sign_name, self.proof_b64)
                for i, sign_id, sign_name in fixture.modify_targets
            ]
            return Scenario(name, port, requests, calls.tencent_ok)
        if name in MESSAGES_PER_REQUEST:
            per = MESSAGES_PER_REQUEST[name]
            requests = [
                calls.send_sms(port, accounts[i], template_id, sign, numbers(i, n, per))
                for i, template_id, sign in fixture.send_targets
                for n in range(max(1, SEND_REQUESTS // per))
            ]
            return Scenario(name, port, requests, calls.send_ok(per))
        if name == "yunpian":
            requests = [calls.yunpian_get(port, a) for a in accounts]
            return Scenario(name, port, requests, calls.yunpian_ok)
        if name == "legacy":
            # Every request carries its own `random`: enough for the phase at 20k req/s.
            per_account = max(200, int(20_000 * self.longest_phase() / len(accounts)))
            requests = [r for a in accounts for r in calls.legacy_get_sign(port, a, per_account)]
            return Scenario(name, port, requests, calls.legacy_ok)
        raise ValueError(name)

    def longest_phase(self) -> float:
        plan = self.plan
        return plan.warmup + max(plan.duration, plan.half_load_duration, plan.profile_seconds)

    def server_for(self, name: str) -> servers.Server:
        return self.servers[name if name in ("baseline", "moto") else "smssign"]

    def settle(self, extra: Sequence[servers.Server] = ()) -> None:
        if self.plan.settle:
            for server in (*self.servers.values(), *extra):
                server.settle()

    def check(self, scenario: Scenario) -> str | None:
        """None if one request of the scenario succeeds, else what came back."""
        try:
            status, body = exchange(scenario.port, scenario.requests[0])
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}"
        if scenario.ok(status, body):
            return None
        return f"HTTP {status}: {body[:300]!r}"

    async def measure(self, name: str, *, rate: float | None = None) -> Measurement | None:
        scenario = self.scenario(name)
        problem = self.check(scenario)
        if problem is not None:
            self.missing(LABELS[name], f"the first request failed: {problem}")
            return None
        self.settle()
        plan = self.plan
        return await measure(
            scenario,
            connections=plan.connections,
            duration=plan.half_load_duration if rate else plan.duration,
            warmup=plan.warmup,
            rate=rate,
            server=self.server_for(name).ps,
        )

    # --- phases ------------------------------------------------------------------------

    async def start_servers(self) -> None:
        database_url = f"sqlite:///{self.workdir / 'smssign.db'}"
        started = time.perf_counter()
        self.fixture = await seed.seed_small(
            database_url, self.workdir / "data", proof=self.proof, accounts=self.plan.accounts
        )
        took = time.perf_counter() - started
        print(f"  seeded {len(self.fixture.accounts)} accounts in {took:.1f} s", flush=True)
        self.servers["baseline"] = servers.start_baseline(self.workdir)
        self.servers["smssign"] = servers.start_smssign(self.workdir, database_url)
        try:
            self.servers["moto"] = servers.start_moto(self.workdir)
        except RuntimeError as exc:
            self.missing(LABELS["moto"], str(exc))
            return
        port = self.servers["moto"].port
        for n in range(MOTO_TOPICS):
            status, body = exchange(port, calls.sns_create_topic(port, f"bench-topic-{n}"))
            if status != 200:
                self.missing(LABELS["moto"], f"CreateTopic answered {status}: {body[:200]!r}")

    async def throughput(self) -> None:
        plan = self.plan
        names = [n for n in THROUGHPUT_ORDER if n != "moto" or "moto" in self.servers]
        rounds: list[dict[str, dict[str, Any]]] = []
        for number in range(plan.rounds):
            print(f"  round {number + 1}/{plan.rounds}", flush=True)
            this: dict[str, dict[str, Any]] = {}
            for name in names:
                result = await self.measure(name)
                if result is None:
                    continue
                this[name] = result.as_dict()
                print(
                    f"    {name:9s} {result.req_s:9.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                    f"  p99 {result.p99_ms:7.2f} ms  errors {result.errors}"
                    f"  server CPU {result.server_cpu or 0:.2f}",
                    flush=True,
                )
            rounds.append(this)
        self.results["rounds"] = rounds
        self.results["throughput"] = summarize(rounds, names)

    async def half_load(self) -> None:
        peaks = {row["scenario"]: row["req_s"] for row in self.results["throughput"]}
        for name in THROUGHPUT_ORDER:
            if not peaks.get(name):
                continue
            rate = max(1.0, peaks[name] / 2)
            result = await self.measure(name, rate=rate)
            if result is None:
                continue
            row = {"scenario": name, "label": LABELS[name], **result.as_dict()}
            self.results["half_load"].append(row)
            print(
                f"    {name:9s} at {rate:7.0f} req/s: p50 {result.p50_ms:6.2f} ms"
                f"  p99 {result.p99_ms:7.2f} ms  errors {result.errors}",
                flush=True,
            )

    async def profiles(self, out_dir: Path) -> None:
        if self.plan.profile_seconds <= 0:
            return
        if profile.py_spy() is None:
            self.missing("profiles", "py-spy is not installed (pip install py-spy)")
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        server = self.servers["smssign"]
        for name in PROFILED:
            scenario = self.scenario(name)
            raw = self.workdir / f"profile-{name}.txt"
            self.settle()
            spy = profile.start(server.process.pid, self.plan.profile_seconds, raw)
            await asyncio.sleep(0.5)  # py-spy attaches before the load starts
            result = await measure(
                scenario,
                connections=self.plan.connections,
                duration=self.plan.profile_seconds,
                warmup=0.0,
                server=server.ps,
            )
            _, err = await asyncio.to_thread(spy.communicate)
            if spy.returncode != 0 or not raw.exists():
                self.missing(f"profile of {name}", err.decode(errors="replace")[-500:])
                continue
            folded = profile.fold(raw)
            title = (
                f"py-spy profile of smssign serving {LABELS[name]} "
                f"({result.req_s:.0f} req/s, {self.plan.connections} connections)"
            )
            (out_dir / f"{name}.txt").write_text(folded.text(title))
            self.results["profiles"][name] = {"req_s": round(result.req_s, 1), **folded.as_dict()}
            print(
                f"    {name}: {folded.samples} samples -> {out_dir / (name + '.txt')}", flush=True
            )

    def stop_servers(self) -> None:
        for server in self.servers.values():
            server.stop()
        for name, server in self.servers.items():
            log = server.log()
            if "Traceback" in log:
                self.missing(f"{name} server log", "a Traceback was logged:\n" + log[-2000:])
        self.servers = {}

    async def cold_starts(self) -> None:
        from bench.cold_start import compile_bytecode

        fixture = self.fixture
        assert fixture is not None
        compile_bytecode()  # as installed: without it every start compiles smssign anew
        database_url = fixture.database_url
        account = fixture.accounts[0]
        kinds: list[tuple[str, Callable[[int], servers.Server]]] = [
            ("baseline", lambda n: servers.start_baseline(self.workdir / f"cold-baseline-{n}")),
            (
                "smssign",
                lambda n: servers.start_smssign(
                    self.workdir / f"cold-smssign-{n}",
                    database_url,
                    probe=lambda port: calls.describe_sign_list(port, account),
                    check=calls.tencent_ok,
                ),
            ),
            (
                "smssign_fresh",
                lambda n: servers.start_smssign(
                    self.workdir / f"cold-fresh-{n}",
                    f"sqlite:///{self.workdir / f'cold-fresh-{n}' / 'smssign.db'}",
                ),
            ),
        ]
        if servers.moto_executable() is not None:
            kinds.append(("moto", lambda n: servers.start_moto(self.workdir / f"cold-moto-{n}")))
        labels = {
            "baseline": "baseline (spawn to first 200 of GET /)",
            "smssign": "smssign serve, existing database (to first DescribeSmsSignList reply)",
            "smssign_fresh": "smssign serve, empty data directory (migrations; to /healthz 200)",
            "moto": "moto_server (to first ListTopics reply)",
        }
        for kind, start in kinds:
            times = []
            for n in range(self.plan.cold_starts):
                try:
                    server = start(n)
                except RuntimeError as exc:
                    self.missing(f"cold start of {kind}", str(exc)[:500])
                    break
                times.append(server.started_in)
                server.stop()
            if times:
                row = {
                    "target": kind,
                    "label": labels[kind],
                    "seconds": statistics.median(times),
                    "all": [round(x, 4) for x in times],
                }
                self.results["cold_start"].append(row)
                print(f"    {kind:14s} {row['seconds']:.3f} s (median of {len(times)})", flush=True)

    async def mock(self) -> None:
        """The in-process mock against the same SDK call answered by a canned reply."""
        from bench import mock_overhead

        rows = mock_overhead.inprocess(self.plan.mock_calls, max(5, self.plan.mock_calls // 10))
        self.results["mock"] = rows
        for row in rows:
            print(
                f"    {row['call']:22s} canned {row['canned_us']:.0f} µs, "
                f"mock {row['mock_us']:.0f} µs: {row['ratio']:.2f} ×",
                flush=True,
            )

    async def scale(self) -> None:
        backends = ["sqlite"]
        if self.postgresql is None:
            self.missing("scale on PostgreSQL", "turned off with --no-postgresql")
        else:
            problem = await seed.postgresql_reachable(self.postgresql)
            if problem is None:
                backends.append("postgresql")
            else:
                self.missing("scale on PostgreSQL", f"{self.postgresql} unreachable: {problem}")
        for backend in backends:
            try:
                self.results["scale"].extend(await self.scale_backend(backend))
            except Exception as exc:
                self.missing(f"scale on {backend}", f"{type(exc).__name__}: {exc}")
                traceback.print_exc()

    async def message_scale(self) -> None:
        """The inbox's latest and PullSmsSendStatus at two numbers of stored messages."""
        from bench import messages

        plan = self.plan
        self.results["message_scale"] = await messages.phase(
            plan.message_sizes,
            self.data_dir,
            self.workdir,
            rounds=plan.rounds,
            duration=plan.scale_duration,
            warmup=plan.warmup,
            connections=plan.connections,
            settle=plan.settle,
        )

    async def scale_backend(self, backend: str) -> list[dict[str, Any]]:
        """Both sizes served at once and measured in alternation, like the throughput rounds,
        at one offered load (half the small database's peak), so that the tails compare."""
        sizes = self.plan.scale_sizes
        fixtures: dict[int, seed.Fixture] = {}
        for size in sizes:
            started = time.perf_counter()
            fixtures[size] = await seed.scale_database(
                backend,
                size,
                self.data_dir,
                postgresql_admin=self.postgresql or seed.DEFAULT_POSTGRESQL,
            )
            how = "seeded" if fixtures[size].seeded_in else "from cache"
            took = time.perf_counter() - started
            print(f"    {backend} with {size:,} signatures: {how} in {took:.1f} s", flush=True)
        running: dict[int, servers.Server] = {}
        try:
            for size, fixture in fixtures.items():
                running[size] = servers.start_smssign(
                    self.workdir / f"scale-{backend}-{size}",
                    fixture.database_url,
                    env=fixture.env,
                    name=f"smssign-{backend}-{size}",
                )
            scenarios = {}
            for size, server in running.items():
                requests = [
                    calls.describe_sign_list(server.port, account, offset=offset)
                    for account in fixtures[size].accounts
                    for offset in range(0, seed.PER_ACCOUNT, 10)
                ]
                scenarios[size] = Scenario(f"scale-{size}", server.port, requests, calls.tencent_ok)
                problem = self.check(scenarios[size])
                if problem is not None:
                    raise RuntimeError(f"{size:,}: the first request failed: {problem}")
            rss_idle = {size: server.rss() for size, server in running.items()}
            plan = self.plan
            peaks: dict[int, Measurement] = {}
            for size in sizes:
                self.settle(list(running.values()))
                peaks[size] = await measure(
                    scenarios[size],
                    connections=plan.connections,
                    duration=plan.scale_duration,
                    warmup=plan.warmup,
                    server=running[size].ps,
                )
            rate = max(1.0, peaks[sizes[0]].req_s / 2)
            fixed: dict[int, list[Measurement]] = {size: [] for size in sizes}
            for _ in range(plan.rounds):
                for size in sizes:
                    self.settle(list(running.values()))
                    fixed[size].append(
                        await measure(
                            scenarios[size],
                            connections=plan.connections,
                            duration=plan.scale_duration,
                            warmup=plan.warmup,
                            rate=rate,
                            server=running[size].ps,
                        )
                    )
            rss = {size: server.rss() for size, server in running.items()}
        finally:
            for server in running.values():
                server.stop()
            if not self.keep_databases and backend == "postgresql" and self.postgresql:
                for fixture in fixtures.values():
                    await seed.drop_postgresql(self.postgresql, fixture.database_url)
        rows = []
        for size, server in running.items():
            if "Traceback" in server.log():
                self.missing(f"scale {backend} {size} server log", server.log()[-2000:])
            runs = fixed[size]
            row = {
                "backend": backend,
                "signatures": size,
                "peak_req_s": round(peaks[size].req_s, 1),
                "peak_p50_ms": round(peaks[size].p50_ms, 3),
                "peak_p99_ms": round(peaks[size].p99_ms, 3),
                "rate": round(rate, 1),
                "p50_ms": round(statistics.median(m.p50_ms for m in runs), 3),
                "p99_ms": round(statistics.median(m.p99_ms for m in runs), 3),
                "p99_rounds_ms": [round(m.p99_ms, 3) for m in runs],
                "errors": peaks[size].errors + sum(m.errors for m in runs),
                "rss_mb": round(rss[size] / 2**20, 1),
                "rss_idle_mb": round(rss_idle[size] / 2**20, 1),
                "seeded_in_s": round(fixtures[size].seeded_in or 0, 1) or None,
            }
            print(
                f"      {size:>9,}: peak {row['peak_req_s']:.0f} req/s; at {rate:.0f} req/s "
                f"p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms "
                f"(rounds {row['p99_rounds_ms']}); RSS {row['rss_mb']} MB",
                flush=True,
            )
            rows.append(row)
        return rows


def numbers(account: int, request: int, count: int) -> list[str]:
    """`count` mainland numbers, different for every account and request."""
    first = (account * 1000 + request) * 200
    return [f"+86138{first + k:08d}" for k in range(count)]


def machine() -> dict[str, Any]:
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": load,
    }


def summarize(
    rounds: list[dict[str, dict[str, Any]]], names: Sequence[str]
) -> list[dict[str, Any]]:
    """Medians over rounds; ratios are medians of the per-round ratios."""
    rows = []
    for name in names:
        measured = [r[name] for r in rounds if name in r]
        if not measured:
            continue

        per = MESSAGES_PER_REQUEST.get(name, 1)

        def ratio(other: str, name: str = name, per: int = per) -> float | None:
            values = [
                per * r[name]["req_s"] / r[other]["req_s"]
                for r in rounds
                if name in r and other in r and r[other]["req_s"]
            ]
            return round(statistics.median(values), 4) if values else None

        rows.append(
            {
                "scenario": name,
                "label": LABELS[name],
                "req_s": round(statistics.median(m["req_s"] for m in measured), 1),
                "messages_s": (
                    round(per * statistics.median(m["req_s"] for m in measured), 1)
                    if name in MESSAGES_PER_REQUEST
                    else None
                ),
                "p50_ms": round(statistics.median(m["p50_ms"] for m in measured), 3),
                "p99_ms": round(statistics.median(m["p99_ms"] for m in measured), 3),
                "errors": sum(m["errors"] for m in measured),
                "server_cpu": round(statistics.median(m["server_cpu"] or 0 for m in measured), 3),
                "client_cpu": round(statistics.median(m["client_cpu"] or 0 for m in measured), 3),
                "vs_baseline": ratio("baseline"),
                "vs_moto": ratio("moto"),
            }
        )
    return rows


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="smssign side by side with a bare Starlette endpoint and moto_server.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="shorter phases, 100k for scale")
    size.add_argument("--smoke", action="store_true", help="a tiny load: checks the bench runs")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plot", type=Path, default=None, help="PNG path (default: beside --out)")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="cached databases")
    parser.add_argument(
        "--postgresql",
        default=os.environ.get(POSTGRESQL_ENV, seed.DEFAULT_POSTGRESQL),
        help=f"admin URL of a PostgreSQL server for the scale runs (${POSTGRESQL_ENV})",
    )
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument(
        "--messages",
        type=int,
        default=None,
        help=f"stored messages of the large message scale database (${MESSAGES_ENV}; "
        "default 10 000 000, 1 000 000 with --quick)",
    )
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the run's work directory")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="drop the PostgreSQL scale databases after use (for throwaway --data-dir)",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = PLANS["smoke" if args.smoke else "quick" if args.quick else "full"]
    messages = args.messages or int(os.environ.get(MESSAGES_ENV) or 0)
    if messages:
        plan = Plan(**{**plan.__dict__, "message_sizes": (plan.message_sizes[0], messages)})
    if args.profile is not None:
        plan = Plan(**{**plan.__dict__, "profile_seconds": 8.0 if args.profile else 0.0})
    args.data_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=args.data_dir))
    bench = Run(
        plan,
        workdir,
        args.data_dir,
        None if args.no_postgresql else args.postgresql,
        keep_databases=not args.no_cache,
    )
    began = time.perf_counter()
    print(f"smssign bench ({plan.name}) in {workdir}", flush=True)
    phases: list[tuple[str, Callable[[], Any]]] = [
        ("servers", bench.start_servers),
        ("throughput", bench.throughput),
        ("latency at half load", bench.half_load),
        ("profiles", lambda: bench.profiles(args.out.parent / "profiles")),
    ]
    timings: dict[str, float] = {}
    try:
        for title, phase in phases:
            print(f"- {title}", flush=True)
            started = time.perf_counter()
            try:
                await phase()
            except Exception as exc:
                bench.missing(title, f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
                if title == "servers":
                    break
            finally:
                timings[title] = round(time.perf_counter() - started, 1)
    finally:
        bench.stop_servers()
    for title, later in (
        ("cold start", bench.cold_starts),
        ("in-process mock", bench.mock),
        ("scale", bench.scale),
        ("message scale", bench.message_scale),
    ):
        print(f"- {title}", flush=True)
        started = time.perf_counter()
        try:
            if bench.fixture is not None or title != "cold start":
                await later()
        except Exception as exc:
            bench.missing(title, f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        timings[title] = round(time.perf_counter() - started, 1)
    results = bench.results
    results["phase_seconds"] = timings
    results["seconds"] = round(time.perf_counter() - began, 1)
    results["goals"] = report.goals(results)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        import uvloop

        results = uvloop.run(run(args))
    except ImportError:
        results = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plot = None if args.no_plot else (args.plot or args.out.with_suffix(".png"))
    if plot is not None:
        results["plot"] = report.plot(results, plot)
    report.write(results, args.out)
    print()
    print(report.table(results))
    print(f"\nwrote {args.out}" + (f" and {plot}" if results.get("plot") == str(plot) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
