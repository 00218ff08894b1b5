"""The soak's verdict and its section of docs/performance.md: RSS slope by least squares, the
statuses seen against those expected, and what the server's log holds."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import report
from loadgen import percentile
from soak_load import Kind, Tally

MAX_GROWTH_MIB_PER_MIN = 1.0
LOG_FINDINGS = ("Traceback", '"exception"', "5xx access lines")


@dataclass(frozen=True)
class Window:
    """One sampling window: when it ended (seconds into the load) and what it saw."""

    at_s: float
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    rss_mib: float
    stalled_open: int


def rss_slope(windows: list[Window], after_s: float, until_s: float = math.inf) -> float:
    """Least-squares growth of RSS in MiB/min over the windows ending in (``after_s``, ``until_s``]."""
    points = [(w.at_s / 60, w.rss_mib) for w in windows if after_s < w.at_s <= until_s]
    if len(points) < 2:
        return float("nan")
    mean_t = statistics.fmean(t for t, _ in points)
    mean_m = statistics.fmean(m for _, m in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread


def scan(log: Path) -> Counter[str]:
    """Lines of the server's (JSON) log, and the tracebacks, exceptions and 5xx access lines."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        found["lines"] += 1
        found["Traceback"] += "Traceback" in line
        found['"exception"'] += '"exception"' in line
        if line.startswith("{") and '"event":"request"' in line:
            found["5xx access lines"] += json.loads(line).get("status", 0) >= 500
    return found


@dataclass(frozen=True)
class Run:
    """How the soak was run: for the section's header."""

    command: str
    date: str
    commit: str
    duration: float
    warmup: float
    sample_s: float
    load: str  # one sentence
    reload: dict[str, Any]  # when, and what the server answered


@dataclass(frozen=True)
class Verdict:
    slope_mib_per_min: float
    unexpected: dict[str, dict[str, int]]
    log: Counter[str]

    @property
    def passed(self) -> bool:
        clean = not any(self.log[k] for k in LOG_FINDINGS)
        return self.slope_mib_per_min < MAX_GROWTH_MIB_PER_MIN and not self.unexpected and clean


def verdict(
    tally: Tally, windows: list[Window], log: Counter[str], warmup_s: float, mix: list[Kind]
) -> Verdict:
    expected = {k.name: {str(s) for s in k.expected} for k in mix}
    unexpected = {
        kind: {status: n for status, n in seen.items() if status not in expected[kind]}
        for kind, seen in tally.statuses.items()
        if set(seen) - expected[kind]
    }
    return Verdict(rss_slope(windows, warmup_s), unexpected, log)


def commit(root: Path) -> str:
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=False
    )
    changes = len(dirty.stdout.splitlines())
    return head.stdout.strip() + (f" with {changes} uncommitted files in src" if changes else "")


def _statuses(tally: Tally, mix: list[Kind]) -> list[str]:
    lines = ["| request | expected | statuses seen | p50 ms | p99 ms |", "| --- | --- | --- | ---: | ---: |"]
    for kind in mix:
        seen = tally.statuses.get(kind.name, Counter())
        latencies = tally.latencies.get(kind.name) or [float("nan")]
        counts = ", ".join(f"{status}: {n:,}" for status, n in sorted(seen.items()))
        lines.append(
            f"| {kind.name} | {', '.join(map(str, sorted(kind.expected)))} | {counts} "
            f"| {percentile(latencies, 0.5):.2f} | {percentile(latencies, 0.99):.2f} |"
        )
    return lines


def _minutes(windows: list[Window]) -> list[str]:
    lines = [
        "| minute | req/s | p50 ms (median window) | p99 ms (worst window) | RSS MiB at its end |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    by_minute: dict[int, list[Window]] = {}
    for window in windows:  # a window ending a hair past a full minute belongs to that minute
        by_minute.setdefault(max(1, math.ceil(window.at_s / 60 - 0.01)), []).append(window)
    for minute, these in by_minute.items():
        rate = sum(w.requests for w in these) / sum(w.seconds for w in these)
        lines.append(
            f"| {minute} | {rate:,.1f} | {statistics.median(w.p50_ms for w in these):.2f} "
            f"| {max(w.p99_ms for w in these):.2f} | {these[-1].rss_mib:.1f} |"
        )
    return lines


def section(run: Run, tally: Tally, windows: list[Window], found: Verdict, mix: list[Kind]) -> list[str]:
    duration, warmup, sample_s, reload = run.duration, run.warmup, run.sample_s, run.reload
    steady = [w for w in windows if w.at_s > warmup] or windows
    swapped = float(reload.get("done_s", duration))
    halves = (
        f"{rss_slope(windows, warmup, swapped):+.3f} MiB/min from warm-up to the reload, "
        f"{rss_slope(windows, swapped):+.3f} MiB/min after it"
    )
    findings = ", ".join(f"{k} {found.log[k]}" for k in LOG_FINDINGS)
    unexpected = json.dumps(found.unexpected) if found.unexpected else "none"
    versions = ", ".join(f"version {v}: {n:,}" for v, n in sorted(tally.versions.items()))
    closed = ", ".join(f"{reason}: {n:,}" for reason, n in sorted(tally.stalled_closed.items())) or "none"
    return [
        "## Soak (`benchmarks/soak.py`)",
        "",
        f"- machine: {report.machine()}, shared with other engineers' test runs; the client (one "
        "Python asyncio process) and the server on the same 2 cores",
        f"- command: `{run.command}`",
        f"- date: {run.date}; commit {run.commit}",
        f"- load: {run.load}",
        f"- hot reload from {reload.get('at_s')} s: `predictor promote` "
        f"(exit {reload.get('promote_exit')}), then at {reload.get('done_s')} s "
        f"`POST /v1/models/reload` → {reload.get('status')} `{json.dumps(reload.get('answer'))}`; "
        f"answers by version: {versions}",
        "",
        f"**{'PASS' if found.passed else 'FAIL'}**: RSS growth after the first {warmup:g} s "
        f"**{found.slope_mib_per_min:+.3f} MiB/min** (limit {MAX_GROWTH_MIB_PER_MIN:g}, least squares over "
        f"{sample_s:g} s samples; {halves}); unexpected statuses: {unexpected}; server log "
        f"({found.log['lines']:,} lines): {findings}.",
        "",
        f"Throughput {sum(w.requests for w in windows) / duration:,.1f} req/s over the run; RSS "
        f"{windows[0].rss_mib:.1f} MiB after the first {windows[0].at_s:.0f} s, "
        f"{min(w.rss_mib for w in steady):.1f}–{max(w.rss_mib for w in steady):.1f} MiB after warm-up, "
        f"{windows[-1].rss_mib:.1f} MiB at the end.",
        "",
        *_statuses(tally, mix),
        "",
        f"Stalled connections closed by the server (each then replaced): {closed}.",
        "",
        *_minutes(windows),
    ]
