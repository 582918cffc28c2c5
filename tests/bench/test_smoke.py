"""The benchmark, run on a tiny load so that it never rots: every row, no thresholds.

Performance is judged in bench/README.md from full runs; here we only check that one
`python -m bench --smoke` completes, that every request it sent was answered as a
success, and that results.json holds a row for every measurement of issues 6 and 15
(SendSms with 1 and 200 numbers, the message scale row on 1 000 and 10 000 messages).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = {"baseline", "describe", "modify", "send", "send200", "yunpian", "legacy", "moto"}
MESSAGE_SIZES = (1_000, 10_000)
COLD_STARTS = {"baseline", "smssign", "smssign_fresh", "moto"}


def run_smoke(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSSIGN_")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
            "--no-cache",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results: dict[str, Any] = json.loads(out.read_text())
    results["_stdout"] = completed.stdout
    return results


def test_smoke_run_writes_every_row(tmp_path: Path) -> None:
    results = run_smoke(tmp_path)
    postgresql_skipped = any(m["what"] == "scale on PostgreSQL" for m in results["missing"])
    unexpected = [m for m in results["missing"] if m["what"] != "scale on PostgreSQL"]
    assert unexpected == [], unexpected

    throughput = {row["scenario"]: row for row in results["throughput"]}
    assert set(throughput) == SCENARIOS
    for row in throughput.values():
        assert row["req_s"] > 0 and row["errors"] == 0, row
        assert row["vs_baseline"] is not None and row["vs_moto"] is not None
    assert {row["scenario"] for row in results["half_load"]} == SCENARIOS
    assert all(row["errors"] == 0 for row in results["half_load"])
    assert {row["target"] for row in results["cold_start"]} == COLD_STARTS

    mock = {row["call"]: row for row in results["mock"]}
    assert set(mock) == {"DescribeSmsSignList", "SendSms"}
    assert all(row["canned_us"] > 0 and row["mock_us"] > 0 for row in mock.values())

    backends = {"sqlite"} if postgresql_skipped else {"sqlite", "postgresql"}
    scale = {(row["backend"], row["signatures"]) for row in results["scale"]}
    assert scale == {(b, n) for b in backends for n in (100, 1_000)}
    assert all(row["errors"] == 0 and row["rss_mb"] > 0 for row in results["scale"])

    send200 = throughput["send200"]
    assert send200["messages_s"] == pytest.approx(200 * send200["req_s"], rel=0.01)
    assert throughput["send"]["messages_s"] == throughput["send"]["req_s"]

    stored = {(row["target"], row["messages"]): row for row in results["message_scale"]}
    assert set(stored) == {(t, n) for t in ("latest", "pull") for n in MESSAGE_SIZES}
    for row in stored.values():
        assert row["errors"] == 0 and row["rss_mb"] > 0 and row["p50_ms"] > 0, row

    goals = results["goals"]
    names = [g["goal"] for g in goals]
    for expected in (
        "SendSms (1 number) req/s ≥ 0.25 × baseline",
        "SendSms (200 numbers) messages/s ≥ 1.0 × baseline req/s",
        "SendSms (200 numbers) messages/s ≥ 20 × moto_server",
        "SendSms (1 number) p99 ≤ 10 ms at half of peak load",
        "GET /_smssign/messages/latest p50 at 10,000 messages ≤ 1.5 × at 1,000",
        "PullSmsSendStatus p50 at 10,000 messages ≤ 1.5 × at 1,000",
        "server RSS at 10,000 messages ≤ 150 MB",
    ):
        assert expected in names
    unmeasured = [g["goal"] for g in goals if g["measured"] is None]
    expected_unmeasured = [g["goal"] for g in goals if g["goal"].startswith("postgresql")]
    assert unmeasured == (expected_unmeasured if postgresql_skipped else [])

    # The table names every ratio the README quotes.
    for label in (
        "× baseline", "× moto", "Cold start", "In-process mock", "Scale", "Message scale", "Goals",
    ):  # fmt: skip
        assert label in results["_stdout"]
    plot = results.get("plot", "")
    assert plot.startswith("skipped") or Path(plot).stat().st_size > 10_000
