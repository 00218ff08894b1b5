"""Event loop under big bodies: `/health/live` latency while a few clients post heavy bodies.

    .venv/bin/python benchmarks/loop_stall.py --before /tmp/before/src
    .venv/bin/python benchmarks/loop_stall.py --before /tmp/before/src --seconds 4 --rounds 1 --out -
    .venv/bin/python benchmarks/loop_stall.py --variant thread=PREDICTOR_DECODER_PROCESSES=0 \
        --variant process=PREDICTOR_DECODER_PROCESSES=1 --cases big --out -

Two trees of predictor, each started as `predictor serve --model-dir` (one worker, dev profile)
with ``PYTHONPATH`` at its ``src``: ``--before`` (a checkout from before big bodies were parsed
off the loop) and ``--after`` (this tree by default). Per case, the two alternate, round after
round, in one run. While wrk keeps a few connections posting one heavy body, a separate client
asks `/health/live` at a steady rate, one request at a time, and records each latency from
send to answer. The cases: no heavy load; 1,000,000 empty rows (~3 MB); ~8 MB of valid rows;
two requests that made a 500 before, whose traceback the dev profile renders (what each tree
answers them is in the table). ``--variant NAME=VAR=VALUE[,VAR=VALUE]`` adds this tree again
under NAME with those settings (``--before`` is then optional), to compare settings side by side;
``--cases big`` keeps the first three cases. Writes the table into docs/performance.md between its markers
(``--out -``: print only).
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import contenders  # noqa: E402
import loop_lag  # noqa: E402
import report  # noqa: E402
import serve_bench  # noqa: E402
from loadgen import LoadResult, ensure_wrk, percentile, run_wrk  # noqa: E402
from sections import write_section  # noqa: E402

VALID_BYTES = 8_000_000
# Room for the ~8 MB of valid rows; the million empty rows stay over it, so they are refused
# by size, as they would be at the default, once parsed.
MAX_ROWS = 20_000
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    path: str
    body: bytes | None  # None: no heavy load


@dataclasses.dataclass(frozen=True)
class Sample:
    case: str
    tree: str
    health_ms: list[float]
    health_failures: int
    heavy: LoadResult | None


def cases(model: str, columns: list[str], rows: list[list[float]]) -> list[Case]:
    empty = b'{"instances":[' + b",".join([b"{}"] * 1_000_000) + b"]}"
    per_row = len(json.dumps(dict(zip(columns, rows[0], strict=True)))) + 2
    count = VALID_BYTES // per_row
    valid = json.dumps(
        {"instances": [dict(zip(columns, row, strict=True)) for row in serve_bench.batch(rows, count)]}
    ).encode()
    flat = [v for row in rows[:10] for v in row]
    tensor = {"name": "input-0", "shape": [10, len(columns)], "data": flat}
    # An object where the datatype's name belongs: a TypeError in the V2 reader before, a 500 (a
    # 400 since 673e533).
    broken_v2 = json.dumps({"inputs": [tensor | {"datatype": {}}]}).encode()
    # A lone surrogate as a feature name: a 500 before (the 400 naming it could not be rendered), a
    # 400 after.
    surrogate = b'{"instances":[{"\\ud800": 1.0}]}'
    return [
        Case("no heavy load", "/predict", None),
        Case(f"1,000,000 empty rows ({len(empty) / 1e6:.1f} MB) at /predict", "/predict", empty),
        Case(f"{count:,} valid rows ({len(valid) / 1e6:.1f} MB) at /predict", "/predict", valid),
        Case("V2 `datatype` an object (10 rows), a 500 before", f"/v2/models/{model}/infer", broken_v2),
        Case("lone-surrogate key, a 500 before", "/predict", surrogate),
    ]


@dataclasses.dataclass(frozen=True)
class Tree:
    src: Path
    settings: dict[str, str] = dataclasses.field(default_factory=dict)


def server(tree: str, src: Path, exported: Path, settings: dict[str, str]) -> contenders.Contender:
    base = contenders.predictor(serve_bench.BIN, exported, 1)
    env = base.env | {
        "PYTHONPATH": str(src),
        "PREDICTOR_PROFILE": "dev",
        "PREDICTOR_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        "PREDICTOR_MAX_ROWS": str(MAX_ROWS),
        **settings,
    }
    imported = subprocess.run(
        [str(serve_bench.BIN / "python"), "-c", "import predictor; print(predictor.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(imported).is_relative_to(src):
        raise RuntimeError(f"PYTHONPATH={src} imports predictor from {imported}")
    return dataclasses.replace(base, name=tree, env=env, note=f"predictor from {src}")


def probe(port: int, seconds: float, interval_s: float) -> tuple[list[float], int]:
    """`/health/live` every ``interval_s`` (or right after a late answer), for ``seconds``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    failures = 0
    began = time.perf_counter()
    due = began
    while (now := time.perf_counter()) - began < seconds:
        if due > now:
            time.sleep(due - now)
        sent = time.perf_counter()
        try:
            connection.request("GET", "/health/live")
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            connection.close()
            ok = False
        latencies.append((time.perf_counter() - sent) * 1000)
        failures += not ok
        due = max(due + interval_s, time.perf_counter())
    connection.close()
    return latencies, failures


def alone(running: contenders.Running, case: Case) -> str:
    """The heavy request's status and latency on an idle server."""
    assert case.body is not None
    request = urllib.request.Request(  # noqa: S310  # loopback only
        running.url + case.path,
        data=case.body,
        headers={"Content-Type": "application/json", **running.contender.headers},
    )
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310  # loopback only
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return f"{status} in {(time.perf_counter() - began) * 1000:,.0f} ms"


def measure(running: contenders.Running, case: Case, seconds: float, interval_s: float, conns: int) -> Sample:
    heavy: list[LoadResult] = []
    load = None
    if case.body is not None:
        body = case.body
        load = threading.Thread(
            target=lambda: heavy.append(
                run_wrk(running.url + case.path, body, conns, seconds + 2, running.contender.headers)
            )
        )
        load.start()
        time.sleep(1)  # wrk's connections busy before the first probe
    latencies, failures = probe(running.port, seconds, interval_s)
    if load is not None:
        load.join(timeout=seconds + 180)
    return Sample(case.name, running.contender.name, latencies, failures, heavy[0] if heavy else None)


def _progress(sample: Sample) -> str:
    health = sample.health_ms
    return (
        f"{sample.case:55} {sample.tree:6} p50 {percentile(health, 0.5):8.1f} "
        f"p99 {percentile(health, 0.99):8.1f} max {max(health):8.1f} ms ({len(health)} probes)"
    )


def _cell(samples: list[Sample], share: float | None) -> str:
    return " / ".join(
        f"{(max(s.health_ms) if share is None else percentile(s.health_ms, share)):,.1f}" for s in samples
    )


def table(
    samples: list[Sample], solo: dict[tuple[str, str], str], trees: list[str], connections: int
) -> list[str]:
    lines = [
        f"| heavy load ({connections} wrk connections) | tree | `/health/live` p50 ms | p99 ms | max ms "
        "| probes | heavy requests: alone; under load |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in dict.fromkeys(s.case for s in samples):
        for tree in trees:
            mine = [s for s in samples if s.case == case and s.tree == tree]
            probes = " / ".join(str(len(s.health_ms)) for s in mine)
            failed = sum(s.health_failures for s in mine)
            probes += f" (**{failed} failed**)" if failed else ""
            loads = [s.heavy for s in mine if s.heavy is not None]
            heavy = "–"
            if loads:
                rates = " / ".join(f"{h.requests_per_s:.1f}" for h in loads)
                p50 = " / ".join(f"{h.p50_ms:,.0f}" for h in loads)
                heavy = f"{solo[case, tree]}; {rates} req/s, p50 {p50} ms"
            lines.append(
                f"| {case} | {tree} | {_cell(mine, 0.5)} | **{_cell(mine, 0.99)}** | {_cell(mine, None)} "
                f"| {probes} | {heavy} |"
            )
    return lines


def describe(src: Path) -> str:
    """The tree's commit, and whether its ``src`` differs from it (uncommitted work)."""
    git = ["git", "-C", str(src)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    if commit.returncode != 0:
        return f"`{src}`"
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=False
    )
    changes = len(dirty.stdout.splitlines())
    return f"`{src}` at {commit.stdout.strip()}" + (f" with {changes} uncommitted files" if changes else "")


@dataclasses.dataclass(frozen=True)
class Run:
    cases: list[Case]
    samples: list[Sample]
    alone: dict[tuple[str, str], str]  # (case, tree): the heavy request's answer on an idle server
    tracebacks: dict[str, int]  # per tree, in its server's log
    rss_mib: dict[str, tuple[float, float]]  # per tree: server and its children, at ready and at the end


def run(args: argparse.Namespace, trees: dict[str, Tree]) -> Run:
    """Both servers up, every case measured on each in turn."""
    with tempfile.TemporaryDirectory(prefix="loop-stall-") as scratch:
        work = args.work.resolve() if args.work else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        print("training and exporting the model …", flush=True)
        _, exported, columns, rows = serve_bench.build_model(work)
        line_up = [server(name, tree.src, exported, tree.settings) for name, tree in trees.items()]
        running = [
            contenders.start(c, serve_bench.free_port(), work / f"server-{c.name}.log") for c in line_up
        ]
        at_ready = {each.contender.name: each.rss_mib() for each in running}
        samples: list[Sample] = []
        solo: dict[tuple[str, str], str] = {}
        heavy = cases(serve_bench.MODEL, columns, rows)[: 3 if args.cases == "big" else None]
        try:
            for case in heavy:
                for each in running:
                    if case.body is not None:
                        solo[case.name, each.contender.name] = alone(each, case)
                for round_ in range(args.rounds):
                    for each in running if round_ % 2 == 0 else running[::-1]:
                        sample = measure(each, case, args.seconds, args.interval_ms / 1000, args.connections)
                        samples.append(sample)
                        print(_progress(sample), flush=True)
            rss = {each.contender.name: (at_ready[each.contender.name], each.rss_mib()) for each in running}
        finally:
            for each in running:
                each.stop()
        logs = {c.name: (work / f"server-{c.name}.log").read_text() for c in line_up}
    return Run(heavy, samples, solo, {tree: log.count("Traceback") for tree, log in logs.items()}, rss)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, default=None, help="src folder of the tree before the fix")
    parser.add_argument("--after", type=Path, default=ROOT / "src", help="src folder after (this tree's)")
    parser.add_argument("--seconds", type=float, default=10.0, help="probing time per case and tree")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per case")
    parser.add_argument("--connections", type=int, default=3, help="wrk connections posting the heavy body")
    parser.add_argument("--interval-ms", type=float, default=10.0, help="time between health probes")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"), help="'-': print only")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME=VAR=VALUE[,VAR=VALUE]: the --after tree again, with these settings",
    )
    parser.add_argument("--cases", choices=("all", "big"), default="all", help="big: no load and big bodies")
    args = parser.parse_args()
    ensure_wrk()
    trees = {"before": Tree(args.before.resolve())} if args.before else {}
    for variant in args.variant:
        name, _, assignments = variant.partition("=")
        settings = dict(item.split("=", 1) for item in assignments.split(",") if item)
        trees[name] = Tree(args.after.resolve(), settings)
    if not args.variant:
        trees["after"] = Tree(args.after.resolve())
    if len(trees) < 2:
        parser.error("compare two trees at least: --before, or two --variant")
    # Taken before the servers start, which is when each imports its tree's code.
    started = f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}"
    described = {
        name: describe(tree.src) + "".join(f", `{k}={v}`" for k, v in tree.settings.items())
        for name, tree in trees.items()
    }
    found = run(args, trees)
    print("loop lag in process …", flush=True)
    lags = loop_lag.measure({c.name: c.body for c in found.cases[1:3] if c.body is not None})
    lines = [
        "## Event loop under big bodies (`benchmarks/loop_stall.py`)",
        "",
        f"- machine: {report.machine()}, shared with other engineers' test runs; wrk and the probing "
        "client on the same 2 cores. Compare the trees side by side (same run, alternating), "
        "not the absolute figures",
        f"- command: `.venv/bin/python benchmarks/loop_stall.py {' '.join(sys.argv[1:])}`",
        f"- started: {started}; " + "; ".join(f"{name}: {text}" for name, text in described.items()),
        "- server: `predictor serve --model-dir` (200 trees, depth 6, Breast Cancer), one worker, dev "
        f"profile (console log to a file), `PREDICTOR_MAX_BODY_BYTES={MAX_BODY_BYTES}`, "
        f"`PREDICTOR_MAX_ROWS={MAX_ROWS}`",
        f"- probes: one client, `GET /health/live` every {args.interval_ms:g} ms on one keep-alive "
        "connection (the next one sent at once when an answer comes late), latency from send to "
        f"answer; {args.seconds:g} s per tree and case, {args.rounds} rounds (values separated by /)",
        f"- tracebacks in the servers' logs: {', '.join(f'{t} {n}' for t, n in found.tracebacks.items())}",
        "- RSS of each server and its child processes, MiB, at ready → after the run: "
        + ", ".join(f"{t} {a:.1f} → {b:.1f}" for t, (a, b) in found.rss_mib.items()),
        "",
        *table(found.samples, found.alone, list(trees), args.connections),
        "",
        "In process (`benchmarks/loop_lag.py`, the same bodies, this tree's `/predict` parser; "
        "how late a 1 ms sleep on the loop wakes):",
        "",
        *loop_lag.table(lags),
    ]
    print("\n".join(lines))
    if args.out != "-":
        write_section(Path(args.out), "loop_stall", lines)
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
