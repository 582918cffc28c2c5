"""How long `smssign serve` takes from spawn to its first answer, and what it imports.

    python bench/cold_start.py [--starts 5] [--imports 25]

Compiles smssign's bytecode (see `compile_bytecode`) and seeds a small SQLite database
once (two accounts), then starts `smssign serve` on it
`--starts` times, each time timing from just before the spawn to the first
DescribeSmsSignList answered (the bench's cold-start row for an existing database),
alternating with the bare Starlette baseline so that the machine's drift hits both.
Then runs the same command once under `python -X importtime` and prints the modules
that took longest to import, by their own time and with what they imported.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import calls, seed, servers


def compile_bytecode() -> None:
    """Write the bytecode of the smssign package that `smssign serve` will import, as
    `pip install` does: a process started with PYTHONDONTWRITEBYTECODE (this project's
    sandbox sets it) would otherwise compile every smssign module from source at every
    start, about a third of its start-up, which no installed copy does."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import compileall, os, smssign; "
            "compileall.compile_dir(os.path.dirname(smssign.__file__), quiet=1)",
        ],
        check=True,
        env=servers.clean_environment(),
    )


def seeded(workdir: Path) -> seed.Fixture:
    database_url = f"sqlite:///{workdir / 'smssign.db'}"
    return asyncio.run(
        seed.seed_small(
            database_url, workdir / "data", proof=calls.proof_png(), accounts=2, per_account=3
        )
    )


def existing_database(workdir: Path, fixture: seed.Fixture, n: int) -> tuple[float, float]:
    """Seconds to the first answer, and the CPU seconds the server had used by then."""
    account = fixture.accounts[0]
    server = servers.start_smssign(
        workdir / f"cold-{n}",
        fixture.database_url,
        probe=lambda port: calls.describe_sign_list(port, account),
        check=calls.tencent_ok,
    )
    cpu = server.cpu_seconds()
    server.stop()
    return server.started_in, cpu


def baseline(workdir: Path, n: int) -> tuple[float, float]:
    server = servers.start_baseline(workdir / f"baseline-{n}")
    cpu = server.cpu_seconds()
    server.stop()
    return server.started_in, cpu


def import_times(fixture: seed.Fixture, workdir: Path) -> list[tuple[int, int, str]]:
    """(own µs, cumulative µs, module) of `smssign serve`'s imports, up to the point
    where it starts serving (it is stopped at its first answer)."""
    port = servers.free_port()
    command = servers.smssign_command(port, fixture.database_url, workdir / "data")
    command.insert(1, "-X")
    command.insert(2, "importtime")
    log = workdir / "importtime.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=out, env=servers.clean_environment()
        )
    try:
        account = fixture.accounts[0]
        raw = calls.describe_sign_list(port, account)
        from bench.wire import exchange

        for _ in range(3000):
            try:
                status, body = exchange(port, raw, timeout=5.0)
                if calls.tencent_ok(status, body):
                    break
            except OSError:
                pass
            if process.poll() is not None:
                break
            import time

            time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=15)
    rows = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|", 2)
        rows.append((int(own), int(cumulative), name.rstrip()))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="starts of each")
    parser.add_argument("--imports", type=int, default=25, help="slowest imports to list")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smssign-cold-") as tmp:
        workdir = Path(tmp)
        compile_bytecode()
        fixture = seeded(workdir)
        times: dict[str, list[tuple[float, float]]] = {
            "baseline": [],
            "smssign, existing database": [],
        }
        for n in range(args.starts):
            times["baseline"].append(baseline(workdir, n))
            times["smssign, existing database"].append(existing_database(workdir, fixture, n))
        print(f"spawn to first answer, {args.starts} starts each (CPU: the server's own)")
        print(f"{'':30}{'median s':>10}{'min s':>8}{'max s':>8}{'CPU s':>8}")
        for name, pairs in times.items():
            values = [wall for wall, _ in pairs]
            cpu = statistics.median(used for _, used in pairs)
            print(
                f"{name:30}{statistics.median(values):>10.3f}"
                f"{min(values):>8.3f}{max(values):>8.3f}{cpu:>8.3f}"
            )
        rows = import_times(fixture, workdir)
    if not rows:
        return
    total = sum(own for own, _, _ in rows)
    print(f"\nimports of `smssign serve`: {len(rows)} modules, {total / 1e6:.3f} s in all")
    print(f"{'own ms':>8}{'with imports ms':>17}  module")
    for own, cumulative, name in sorted(rows, reverse=True)[: args.imports]:
        print(f"{own / 1e3:>8.1f}{cumulative / 1e3:>17.1f}  {name}")
    print("\ntop-level packages by cumulative time")
    tops = [(c, name.strip()) for _, c, name in rows if not name.startswith("  ")]
    for cumulative, name in sorted(tops, reverse=True)[: args.imports]:
        print(f"{cumulative / 1e3:>8.1f}  {name}")


if __name__ == "__main__":
    main()
