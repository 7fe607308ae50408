"""The benchmark's report: medians over runs, the issue's targets, Markdown tables and a chart."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

START = "<!-- bench:start (written by scripts/bench.py; edit outside these markers) -->"
END = "<!-- bench:end -->"
# The machine the issue's targets were set on: its empty TwiML endpoint sustained about 6,400
# requests a second under the same gunicorn settings. The targets in absolute figures (latency
# at fixed rates, assessments a second) hold only for a machine about that fast; this ratio
# tells a slower machine apart from a slower line.
ISSUE_MACHINE_EMPTY_PER_SECOND = 6_400


def _median(values: Sequence[Any]) -> Any:
    """The median of each number across runs, key by key; other values from the first run."""
    first = values[0]
    if isinstance(first, dict):
        return {
            key: _median([value[key] for value in values if isinstance(value, dict) and key in value]) for key in first
        }
    numbers = [value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)]
    if numbers and len(numbers) == len(values):
        return round(statistics.median(numbers), 3)
    return first


def _derived(run: dict[str, Any]) -> dict[str, Any]:
    """Per-run figures computed from others, so that their median is a median of ratios."""
    routing = run["routing_ms"]
    smallest, largest = min(routing, key=int), max(routing, key=int)
    return {**run, "routing_ratio": round(routing[largest] / routing[smallest], 2)}


def targets(median: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    at_100 = median["rates"].get("100", {})
    imminent = at_100.get("by_kind", {}).get("imminent", {})
    found = {
        "webhook throughput / one-insert throughput": (
            median["throughput"]["webhook_to_insert"],
            ">= 0.7",
            lambda v: v >= 0.7,
        ),
        "relay p99 at 100/s (ms)": (at_100.get("relay", {}).get("p99"), "< 250", lambda v: v < 250),
        "routing with 10,000 volunteers / with 10": (median["routing_ratio"], "<= 2", lambda v: v <= 2),
        "imminent webhook p99 at 100/s (ms)": (imminent.get("p99"), "< 50", lambda v: v < 50),
        "assessments a second, one core": (median["assess"]["per_second"], ">= 20000", lambda v: v >= 20_000),
        "relay p99 at 200/s (ms)": (
            median["rates"].get("200", {}).get("relay", {}).get("p99"),
            "< 250",
            lambda v: v < 250,
        ),
        "new-texter surge, webhook / one-insert throughput (workers routing)": (
            median["surge"]["webhook_to_insert"],
            ">= 0.7",
            lambda v: v >= 0.7,
        ),
        "new texters routed a second": (median["surge"]["routing_per_second"], ">= 500", lambda v: v >= 500),
        "slowest dashboard page, big line (ms)": (
            max(page["big_line_ms"] for page in median["dashboard_ms"].values()),
            "< 1000",
            lambda v: v < 1000,
        ),
    }
    return {
        name: {"value": value, "target": target, "met": value is not None and bool(check(value))}
        for name, (value, target, check) in found.items()
    }


def speed_vs_issue_machine(median: dict[str, Any]) -> float:
    """This machine's empty TwiML throughput as a share of the issue's machine's."""
    return round(median["throughput"]["per_second"]["empty"] / ISSUE_MACHINE_EMPTY_PER_SECOND, 2)


def summarise(runs: Sequence[dict[str, Any]], plan: dict[str, Any], short: bool) -> dict[str, Any]:
    runs = [_derived(run) for run in runs]
    median = _median(runs)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "runs": len(runs),
            "short": short,
            "load_average": [[run["load_average_before"], run["load_average_after"]] for run in runs],
            "speed_vs_issue_machine": speed_vs_issue_machine(median),
        },
        "plan": plan,
        "targets": targets(median),
        "median": median,
        "runs": runs,
    }


def _pair(figures: dict[str, Any], unit: str = "") -> str:
    return f"{_number(figures.get('p50'))} / {_number(figures.get('p99'))}{unit}"


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(report: dict[str, Any]) -> str:
    median = report["median"]
    throughput = median["throughput"]
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {_number(t['value'])} | {t['target']} | {'✓' if t['met'] else '✗'} |"
        for name, t in report["targets"].items()
    ]
    rate = throughput["per_second"]
    lines += [
        "",
        "| maximum sustained, p99 under 100 ms (requests/s) | empty TwiML | one insert | SMS webhook "
        "| webhook / insert | webhook / empty | workers then route (texts/s) |",
        "|---|---|---|---|---|---|---|",
        f"| wrk, closed loop | {_number(rate['empty'])} | {_number(rate['insert'])} | {_number(rate['webhook'])} | "
        f"{_number(throughput['webhook_to_insert'])} | {_number(throughput['webhook_to_empty'])} "
        f"| {_number(throughput['workers_clear_per_second'])} |",
    ]
    surge = median["surge"]
    lines += [
        "",
        "| new-texter surge, workers routing (requests/s) | one insert | SMS webhook | webhook / insert "
        "| workers alone route (new texters/s) |",
        "|---|---|---|---|---|",
        f"| wrk, closed loop | {_number(surge['per_second']['insert'])} | {_number(surge['per_second']['webhook'])} "
        f"| {_number(surge['webhook_to_insert'])} | {_number(surge['routing_per_second'])} |",
    ]
    lines += [
        "",
        "| rate (/s) | webhook p50 / p99 (ms) | empty p50 / p99 | one insert p50 / p99 "
        "| webhook ÷ empty | webhook ÷ insert "
        "| imminent p50 / p99 (crisis text inline) | relay p50 / p99 (relayed) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rate_name, row in median["rates"].items():
        imminent = row["by_kind"]["imminent"]
        lines.append(
            f"| {rate_name} | {_pair(row['webhook'])} | {_pair(row['empty'])} | {_pair(row['insert'])} "
            f"| {_pair(row['ratio_to_empty'])} "
            f"| {_pair(row['ratio_to_insert'])} | {_pair(imminent)} ({_number(row['imminent_inline_share'])}) "
            f"| {_pair(row['relay'])} ({_number(row['relay']['relayed'])} of {_number(row['relay']['expected'])}) |"
        )
    routing = median["routing_ms"]
    lines += [
        "",
        "| volunteers on shift | " + " | ".join(f"{int(n):,}" for n in routing) + " |",
        "|---|" + "---|" * len(routing),
        "| routing one new texter, median (ms) | " + " | ".join(_number(value) for value in routing.values()) + " |",
    ]
    lines += ["", "| dashboard page, best load (ms) | empty line | big line | big ÷ empty |", "|---|---|---|---|"]
    lines += [
        f"| {path} | {_number(page['empty_ms'])} | {_number(page['big_line_ms'])} | {_number(page['ratio'])} |"
        for path, page in median["dashboard_ms"].items()
    ]
    lines += ["", "| process | resident memory (MB) |", "|---|---|"]
    lines += [f"| {name} | {_number(value)} |" for name, value in median["memory_mb"].items()]
    return "\n".join(lines)


def write_markdown(report: dict[str, Any], path: Path) -> None:
    """Put the tables between the markers in `path`, keeping everything written around them."""
    machine = report["machine"]
    loads = ", ".join(f"{before:.1f} → {after:.1f}" for before, after in machine["load_average"])
    section = "\n".join(
        [
            START,
            f"Measured {report['measured_at']} on {machine['cores']} cores, median of {machine['runs']} run(s); "
            f"load average before → after each run: {loads}. The empty TwiML endpoint sustained "
            f"{_number(report['median']['throughput']['per_second']['empty'])} requests a second here, "
            f"{machine['speed_vs_issue_machine']:.2f} of the about {ISSUE_MACHINE_EMPTY_PER_SECOND:,} "
            "of the machine the targets were set on: the ratios compare endpoints within a run, "
            "the latencies at fixed rates and the assessments a second do not.",
            "",
            table(report),
            "",
            "![Benchmark](performance.png)",
            END,
        ]
    )
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def write_chart(report: dict[str, Any], path: Path) -> None:
    """Webhook and baseline latency by rate, maximum throughput, routing time by roster."""
    median = report["median"]
    figure = Figure(figsize=(13, 4))
    latency, throughput, routing = figure.subplots(1, 3)
    rates = [int(rate) for rate in median["rates"]]
    for name, label, colour in (
        ("webhook", "SMS webhook", "tab:red"),
        ("insert", "one insert", "tab:blue"),
        ("empty", "empty TwiML", "tab:grey"),
    ):
        for key, style in (("p50", "-"), ("p99", "--")):
            values = [median["rates"][str(rate)][name][key] for rate in rates]
            latency.plot(rates, values, style, marker="o", color=colour, label=f"{label} {key}")
    relay = [median["rates"][str(rate)]["relay"]["p99"] for rate in rates]
    latency.plot(rates, relay, ":", marker="s", color="tab:purple", label="relay p99")
    latency.set(title="Latency at fixed rates", xlabel="requests per second", ylabel="ms", yscale="log")
    latency.legend(fontsize=7)
    per_second = median["throughput"]["per_second"]
    throughput.bar(
        ["empty TwiML", "one insert", "SMS webhook"],
        [per_second["empty"], per_second["insert"], per_second["webhook"]],
        color=["tab:grey", "tab:blue", "tab:red"],
    )
    throughput.set(title="Maximum sustained (p99 < 100 ms)", ylabel="requests per second")
    rosters = sorted(median["routing_ms"], key=int)
    routing.plot([int(n) for n in rosters], [median["routing_ms"][n] for n in rosters], marker="o", color="tab:green")
    routing.set(title="Routing one new texter", xlabel="volunteers on shift", ylabel="ms (median)", xscale="log")
    routing.set_ylim(bottom=0)
    figure.tight_layout()
    FigureCanvasAgg(figure).print_png(str(path))
