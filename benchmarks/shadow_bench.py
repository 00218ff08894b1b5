"""Shadow benchmark: the champion's throughput and latency with no shadow, and with a shadow
challenger scoring 100 % of the requests, side by side in one run.

    .venv/bin/python benchmarks/shadow_bench.py              # 3 rounds of 10 s per case
    .venv/bin/python benchmarks/shadow_bench.py --quick      # 1 round of 3 s, to check it works

Trains two versions of a 200-tree, depth-6 model on UCI Breast Cancer (other seeds) in a scratch
MLflow store and exports both. Each case starts ``predictor serve`` (one worker) on loopback on
the first export; the shadow case names the second as ``PREDICTOR_SHADOW_MODEL``. wrk posts
1-row requests from ``--connections`` keep-alive connections; the cases alternate round by round
(no shadow, shadow, no shadow, …) so drift on the host falls on both. After each shadow run the
server's summary says how many requests the shadow scored and how many it dropped. Writes the
medians into docs/performance.md (section ``shadow``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import report  # noqa: E402
from loadgen import LoadResult, ensure_wrk, run_wrk  # noqa: E402
from sections import write_section  # noqa: E402

BIN = Path(sys.executable).parent
PARAMS = {"max_depth": 6, "num_boost_round": 200, "early_stopping_rounds": 0, "eta": 0.1}
API_KEY = "bench-client-key-0123456789"
ADMIN_KEY = "bench-admin-key-0123456789"
CASES = ("no shadow", "shadow at 100 %")


@dataclass(frozen=True)
class Run:
    case: str
    load: LoadResult
    cpu_s: float  # CPU time the server's process tree used during the measured run
    scored: int = 0
    dropped: int = 0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / max(1, self.load.requests)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and its children (uvicorn's worker is one), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid, *_children(pid)]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_models(work: Path) -> tuple[Path, Path, dict[str, float]]:
    """Two exported versions of the model (champion, challenger) and one row to send."""
    from predictor.config import load_settings
    from predictor.container import build_container
    from predictor.domain.model import ModelRef
    from predictor.services.training.pipeline import TrainingRequest

    settings = load_settings(
        mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        artifact_root=str(work / "mlartifacts"),
        cache_dir=work / "cache",
    )
    container = build_container(settings)
    exports = []
    for alias, seed in (("production", 1), ("challenger", 2)):
        request = TrainingRequest(
            dataset="breast-cancer",
            register_as="bench",
            promote_to=alias,
            seed=seed,
            params=PARAMS,
            plots=False,
        )
        container.train_model()(request)
        target = work / f"exported-{alias}"
        if not target.exists():
            container.export_model()(ModelRef("bench", alias=alias), target)
        exports.append(target)
    table = container.adapters.datasets().load("breast-cancer")
    row = {name: float(table.columns[name][0]) for name in table.feature_names}
    return exports[0], exports[1], row


def serve(champion: Path, shadow: Path | None, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
    env |= {
        "PREDICTOR_API_KEYS": API_KEY,
        "PREDICTOR_ADMIN_API_KEYS": ADMIN_KEY,
        "PREDICTOR_METRICS_SINK": "none",
        "PREDICTOR_LOG_LEVEL": "WARNING",
    }
    if shadow is not None:
        env["PREDICTOR_SHADOW_MODEL"] = str(shadow)
    args = [str(BIN / "predictor"), "serve", "--port", str(port), "--model-dir", str(champion)]
    return subprocess.Popen(args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def summary(url: str) -> dict[str, object]:
    answer = httpx.get(f"{url}/v1/models/bench/shadow", headers={"X-API-Key": ADMIN_KEY}, timeout=10)
    answer.raise_for_status()
    body: dict[str, object] = answer.json()
    return body


def wait_ready(url: str, process: subprocess.Popen[bytes], shadowed: bool) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            ready = httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
            if ready and (not shadowed or summary(url)["shadow_version"] is not None):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} was not ready (with its shadow loaded) in time")


def measure(case: str, exports: tuple[Path, Path], body: bytes, args: argparse.Namespace) -> Run:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    shadowed = case != CASES[0]
    process = serve(exports[0], exports[1] if shadowed else None, port, args.work / f"server-{port}.log")
    try:
        wait_ready(url, process, shadowed)
        headers = {"X-API-Key": API_KEY}
        run_wrk(f"{url}/predict", body, args.connections, 2, headers)  # warm-up
        before = cpu_seconds(process.pid)
        load = run_wrk(f"{url}/predict", body, args.connections, args.seconds, headers)
        time.sleep(1)  # let the shadow's worker take what waits in its queue
        cpu_s = cpu_seconds(process.pid) - before
        if not shadowed:
            return Run(case, load, cpu_s)
        found = summary(url)
        pairs = found["pairs"]
        assert isinstance(pairs, list)  # the route's documented shape
        return Run(case, load, cpu_s, sum(int(p["requests"]) for p in pairs), int(str(found["dropped"])))
    finally:
        process.terminate()
        process.wait(timeout=30)


def section(runs: list[Run], args: argparse.Namespace, command: str) -> list[str]:
    lines = [
        "## Shadow challenger",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, `{command}`; {report.machine()}.",
        f"One worker, 1-row `/predict` requests from {args.connections} keep-alive connections (wrk), "
        f"{args.rounds} round(s) of {args.seconds:g} s per case, the cases alternating; medians over the "
        "rounds. The shadow is a second fit of the same model (another seed) at 100 % sampling; "
        "scored and dropped are the shadow's own counts of the requests it was offered, summed over "
        "the rounds (the warm-ups' requests included). The server's "
        "CPU time per request (user and system, its whole process tree, over the run) is the figure "
        "least moved by other load on the host.",
        "",
        "| case | req/s | p50 ms | p99 ms | server CPU ms per request | shadow scored | dropped |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in CASES:
        mine = [r for r in runs if r.case == case]
        rps = statistics.median(r.load.requests_per_s for r in mine)
        p50 = statistics.median(r.load.p50_ms for r in mine)
        p99 = statistics.median(r.load.p99_ms for r in mine)
        cpu = statistics.median(r.cpu_ms_per_request for r in mine)
        scored = sum(r.scored for r in mine) if case != CASES[0] else "–"
        dropped = sum(r.dropped for r in mine) if case != CASES[0] else "–"
        lines.append(f"| {case} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {cpu:.3f} | {scored} | {dropped} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each case, alternating")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="one round of 3 s")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "shadow", help="scratch folder")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3.0, 1
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    champion, challenger, row = build_models(args.work)
    body = json.dumps({"instances": [row]}).encode()
    runs = []
    for round_ in range(args.rounds):
        for case in CASES:
            print(f"round {round_ + 1}: {case} …", flush=True)
            runs.append(measure(case, (champion, challenger), body, args))
            print(f"  {runs[-1]}", flush=True)
    command = " ".join(["python", "benchmarks/shadow_bench.py", *sys.argv[1:]])
    lines = section(runs, args, command)
    print("\n".join(lines))
    write_section(args.out, "shadow", lines)


if __name__ == "__main__":
    main()
