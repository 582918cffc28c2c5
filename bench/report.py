"""What a run produced, three ways: the goals checked, a text table, results.json and a plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHORT = {
    "describe": "DescribeSmsSignList",
    "modify": "ModifySmsSign",
    "send": "SendSms (1 number)",
    "send200": "SendSms (200 numbers)",
    "yunpian": "Yunpian get.json",
    "legacy": "legacy get_sign",
}
SCENARIO_GOALS = (
    ("describe", "vs_baseline", 0.40, "DescribeSmsSignList req/s ≥ 0.40 × baseline"),
    ("modify", "vs_baseline", 0.20, "ModifySmsSign req/s ≥ 0.20 × baseline"),
    ("send", "vs_baseline", 0.25, "SendSms (1 number) req/s ≥ 0.25 × baseline"),
    ("send200", "vs_baseline", 1.0, "SendSms (200 numbers) messages/s ≥ 1.0 × baseline req/s"),
    *(
        (name, "vs_moto", 20.0, f"{label} {'messages' if name == 'send200' else 'req'}/s "
         "≥ 20 × moto_server")
        for name, label in SHORT.items()
    ),
)  # fmt: skip
HALF_LOAD_P99_MS = 10.0
COLD_START_S = 0.5
MOCK_RATIO = 1.5
SCALE_RATIO = 1.5


def _goal(text: str, target: float, measured: float | None, *, at_most: bool) -> dict[str, Any]:
    met = None if measured is None else (measured <= target if at_most else measured >= target)
    return {
        "goal": text,
        "target": target,
        "measured": None if measured is None else round(measured, 3),
        "met": met,
    }


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue 6 with what this run measured (None: not measured)."""
    rows = {r["scenario"]: r for r in results.get("throughput", [])}
    out = [
        _goal(text, target, rows.get(name, {}).get(key), at_most=False)
        for name, key, target, text in SCENARIO_GOALS
    ]
    half = {r["scenario"]: r for r in results.get("half_load", [])}
    for name, label in SHORT.items():
        measured = half.get(name, {}).get("p99_ms")
        out.append(
            _goal(
                f"{label} p99 ≤ 10 ms at half of peak load",
                HALF_LOAD_P99_MS,
                measured,
                at_most=True,
            )
        )
    cold = {r["target"]: r["seconds"] for r in results.get("cold_start", [])}
    out.append(
        _goal(
            "cold start ≤ 0.5 s (existing database)",
            COLD_START_S,
            cold.get("smssign"),
            at_most=True,
        )
    )
    out.append(
        _goal(
            "cold start ≤ 0.5 s (empty data directory)",
            COLD_START_S,
            cold.get("smssign_fresh"),
            at_most=True,
        )
    )
    mock = {r["call"]: r["ratio"] for r in results.get("mock", [])}
    for call in ("DescribeSmsSignList", "SendSms"):
        out.append(
            _goal(
                f"in-process mock {call} ≤ 1.5 × the SDK call against a canned reply",
                MOCK_RATIO,
                mock.get(call),
                at_most=True,
            )
        )
    for backend in ("sqlite", "postgresql"):
        sizes = sorted(
            (r for r in results.get("scale", []) if r["backend"] == backend),
            key=lambda r: r["signatures"],
        )
        small, large = (sizes[0], sizes[-1]) if len(sizes) >= 2 else (None, None)
        for stat in ("p50_ms", "p99_ms"):
            ratio = large[stat] / small[stat] if small and large and small[stat] else None
            name = f"{large['signatures']:,}" if large else "large"
            base = f"{small['signatures']:,}" if small else "small"
            out.append(
                _goal(
                    f"{backend}: {stat[:3]} at {name} signatures ≤ 1.5 × at {base}",
                    SCALE_RATIO,
                    ratio,
                    at_most=True,
                )
            )
    out.extend(message_goals(results))
    return out


MESSAGE_TARGETS = (
    ("latest", "GET /_smssign/messages/latest"),
    ("pull", "PullSmsSendStatus"),
)
RSS_MB = 150.0


def message_goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 15's scale goals: p50 at the large size ≤ 1.5 × at the small, RSS ≤ 150 MB."""
    rows = results.get("message_scale", [])
    sizes = sorted({r["messages"] for r in rows})
    small, large = (sizes[0], sizes[-1]) if len(sizes) >= 2 else (None, None)
    out = []
    for target, label in MESSAGE_TARGETS:
        found = {r["messages"]: r for r in rows if r["target"] == target}
        ratio = None
        if small in found and large in found and found[small]["p50_ms"]:
            ratio = found[large]["p50_ms"] / found[small]["p50_ms"]
        out.append(
            _goal(
                f"{label} p50 at {large or 'large':,} messages ≤ 1.5 × at {small or 'small':,}"
                if large
                else f"{label} p50 at the large message store ≤ 1.5 × at the small",
                SCALE_RATIO,
                ratio,
                at_most=True,
            )
        )
    rss = [r["rss_mb"] for r in rows if r["messages"] == large]
    out.append(
        _goal(
            f"server RSS at {large:,} messages ≤ 150 MB" if large else "server RSS ≤ 150 MB",
            RSS_MB,
            max(rss) if rss else None,
            at_most=True,
        )
    )
    return out


def write(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def _fmt(value: Any, spec: str = ".2f") -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int):
        return format(value, spec)
    return str(value)


def table(results: dict[str, Any]) -> str:
    plan = results["plan"]
    machine = results["machine"]
    lines = [
        f"smssign bench ({plan['name']}): {machine['cpus']} CPUs, Python {machine['python']}, "
        f"load average at start {machine['load_average_at_start']}, {results.get('seconds')} s",
        "",
        f"Throughput: closed loop, {plan['connections']} keep-alive connections, "
        f"{plan['rounds']} round(s) of {plan['duration']} s, medians; ratios are medians of "
        "per-round ratios",
        f"  {'scenario':42s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} "
        f"{'× baseline':>10s} {'× moto':>8s} {'srv CPU':>8s}",
    ]
    for row in results.get("throughput", []):
        rate = row.get("messages_s") or row["req_s"]
        lines.append(
            f"  {row['label']:42s} {rate:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{_fmt(row['vs_baseline'], '.3f'):>10s} {_fmt(row['vs_moto'], '.2f'):>8s} "
            f"{_fmt(row['server_cpu']):>8s}"
        )
    lines += [
        "",
        "Latency at half of each target's peak (open loop, latency from when a request was due)",
    ]
    lines.append(f"  {'scenario':42s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
    for row in results.get("half_load", []):
        lines.append(
            f"  {row['label']:42s} {row['rate']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{row['errors']:7d}"
        )
    lines += ["", "Cold start: process spawn to first accepted reply (median)"]
    for row in results.get("cold_start", []):
        lines.append(f"  {row['label']:72s} {row['seconds']:7.3f} s")
    lines += ["", "In-process mock: tencentcloud-sdk-python, median µs per call"]
    for row in results.get("mock", []):
        lines.append(
            f"  {row['call']:22s} canned reply {row['canned_us']:8.0f}   "
            f"mock() {row['mock_us']:8.0f}   {row['ratio']:6.2f} ×"
        )
    lines += [
        "",
        "Scale: DescribeSmsSignList; both sizes served at once, latency at one offered load per "
        f"backend (half the small database's peak), medians of {plan['rounds']} alternating rounds",
        f"  {'backend':10s} {'signatures':>11s} {'peak req/s':>10s} {'at req/s':>9s} "
        f"{'p50 ms':>8s} {'p99 ms':>8s} {'RSS MB':>7s}",
    ]
    for row in results.get("scale", []):
        lines.append(
            f"  {row['backend']:10s} {row['signatures']:11,d} {row['peak_req_s']:10.0f} "
            f"{row['rate']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['rss_mb']:7.1f}"
        )
    lines += [
        "",
        "Message scale: both sizes served at once, latency at half the small store's peak, "
        f"medians of {plan['rounds']} alternating rounds",
        f"  {'target':32s} {'messages':>11s} {'peak req/s':>10s} {'at req/s':>9s} "
        f"{'p50 ms':>8s} {'p99 ms':>8s} {'RSS MB':>7s}",
    ]
    for row in results.get("message_scale", []):
        lines.append(
            f"  {row['label']:32s} {row['messages']:11,d} {_fmt(row['peak_req_s'], '.0f'):>10s} "
            f"{row['rate']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['rss_mb']:7.1f}"
        )
    lines += ["", "Goals"]
    for goal in results.get("goals", []):
        mark = {True: "met", False: "MISSED", None: "not measured"}[goal["met"]]
        lines.append(
            f"  {goal['goal']:58s} target {_fmt(goal['target'], 'g'):>5s}  "
            f"measured {_fmt(goal['measured'], '.3g'):>7s}  {mark}"
        )
    if results.get("missing"):
        lines += ["", "Not measured"]
        lines += [f"  {m['what']}: {m['reason'].splitlines()[0][:150]}" for m in results["missing"]]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> str:
    """Write the PNG; returns its path, or why there is none."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "skipped: matplotlib is not installed (pip install 'smssign[bench]')"
    figure, axes = plt.subplots(2, 3, figsize=(18, 9))
    rows = results.get("throughput", [])
    ax = axes[0][0]
    names = [r["scenario"] for r in rows]
    ax.bar(names, [r["vs_baseline"] or 0 for r in rows], color="#4477aa")
    for name, target in (("describe", 0.40), ("modify", 0.20), ("send", 0.25), ("send200", 1.0)):
        if name in names:
            at = names.index(name)
            ax.hlines(target, at - 0.4, at + 0.4, colors="#cc3311", linestyles="dashed")
    ax.set_title("req/s as a multiple of the baseline (dashed: goal)")
    ax.tick_params(axis="x", rotation=20)

    ax = axes[0][1]
    half = results.get("half_load", [])
    positions = list(range(len(half)))
    ax.bar([i - 0.2 for i in positions], [r["p50_ms"] for r in half], width=0.4, label="p50")
    ax.bar([i + 0.2 for i in positions], [r["p99_ms"] for r in half], width=0.4, label="p99")
    ax.axhline(HALF_LOAD_P99_MS, color="#cc3311", linestyle="dashed", label="p99 goal")
    ax.set_xticks(positions, [r["scenario"] for r in half], rotation=20)
    ax.set_ylabel("ms")
    ax.set_title("latency at half of each target's peak")
    ax.legend()

    ax = axes[1][0]
    cold = results.get("cold_start", [])
    ax.barh([r["target"] for r in cold], [r["seconds"] for r in cold], color="#228833")
    ax.axvline(COLD_START_S, color="#cc3311", linestyle="dashed")
    ax.set_xlabel("seconds from spawn to first reply")
    ax.set_title("cold start (dashed: goal)")

    ax = axes[1][1]
    scale = results.get("scale", [])
    labels = [f"{r['backend']}\n{r['signatures']:,}" for r in scale]
    positions = list(range(len(scale)))
    ax.bar([i - 0.2 for i in positions], [r["p50_ms"] for r in scale], width=0.4, label="p50")
    ax.bar([i + 0.2 for i in positions], [r["p99_ms"] for r in scale], width=0.4, label="p99")
    ax.set_xticks(positions, labels)
    ax.set_ylabel("ms")
    ax.set_title("DescribeSmsSignList latency by database size")
    ax.legend()

    ax = axes[0][2]
    stored = results.get("message_scale", [])
    labels = [f"{r['target']}\n{r['messages']:,}" for r in stored]
    positions = list(range(len(stored)))
    ax.bar([i - 0.2 for i in positions], [r["p50_ms"] for r in stored], width=0.4, label="p50")
    ax.bar([i + 0.2 for i in positions], [r["p99_ms"] for r in stored], width=0.4, label="p99")
    ax.set_xticks(positions, labels)
    ax.set_ylabel("ms")
    ax.set_title("inbox latest, PullSmsSendStatus by stored messages")
    ax.legend()

    ax = axes[1][2]
    rss = [(f"{r['backend']} {r['signatures']:,} sig.", r["rss_mb"]) for r in scale]
    seen = set()
    for r in stored:
        if r["messages"] not in seen:
            seen.add(r["messages"])
            rss.append((f"{r['messages']:,} msg.", r["rss_mb"]))
    ax.barh([name for name, _ in rss], [mb for _, mb in rss], color="#aa3377")
    ax.axvline(RSS_MB, color="#cc3311", linestyle="dashed")
    ax.set_xlabel("server RSS, MB")
    ax.set_title("memory by database size (dashed: goal)")

    machine = results["machine"]
    figure.suptitle(
        f"smssign bench ({results['plan']['name']}), {machine['cpus']} CPUs, "
        f"load average {machine['load_average_at_start']}"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return str(path)


def markdown(results: dict[str, Any]) -> str:
    """The tables bench/README.md quotes: `python -m bench.report bench/results.json`."""
    lines = [
        "| target | req/s | p50 ms | p99 ms | × baseline | × moto | p99 ms at half load |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    half = {r["scenario"]: r for r in results.get("half_load", [])}
    for row in results.get("throughput", []):
        at_half = half.get(row["scenario"], {}).get("p99_ms")
        rate = row.get("messages_s") or row["req_s"]
        lines.append(
            f"| {row['label']} | {rate:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {_fmt(row['vs_baseline'], '.3f')} | {_fmt(row['vs_moto'], '.2f')} "
            f"| {_fmt(at_half, '.2f')} |"
        )
    lines += ["", "| cold start | seconds |", "|---|---:|"]
    lines += [f"| {r['label']} | {r['seconds']:.3f} |" for r in results.get("cold_start", [])]
    lines += ["", "| in-process mock (SDK call) | canned reply µs | mock() µs | ratio |"]
    lines += ["|---|---:|---:|---:|"]
    lines += [
        f"| {r['call']} | {r['canned_us']:.0f} | {r['mock_us']:.0f} | {r['ratio']:.2f} |"
        for r in results.get("mock", [])
    ]
    lines += [
        "",
        "| scale | signatures | peak req/s | p50 ms | p99 ms | RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['backend']} (at {r['rate']:.0f} req/s) | {r['signatures']:,} | "
        f"{r['peak_req_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rss_mb']:.1f} |"
        for r in results.get("scale", [])
    ]
    lines += [
        "",
        "| message scale | messages | peak req/s | at req/s | p50 ms | p99 ms | RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['label']} | {r['messages']:,} | {_fmt(r['peak_req_s'], '.0f')} | "
        f"{r['rate']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rss_mb']:.1f} |"
        for r in results.get("message_scale", [])
    ]
    lines += ["", "| goal | target | measured | |", "|---|---:|---:|---|"]
    for goal in results.get("goals", []):
        mark = {True: "met", False: "**missed**", None: "not measured"}[goal["met"]]
        lines.append(
            f"| {goal['goal']} | {_fmt(goal['target'], 'g')} | {_fmt(goal['measured'], '.3g')} "
            f"| {mark} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
