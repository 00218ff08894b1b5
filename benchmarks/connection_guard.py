"""What the connection guard costs: predictor's guarded protocol against uvicorn's plain
httptools protocol, side by side in one run.

    .venv/bin/python benchmarks/connection_guard.py            # ~6 min on 2 cores
    .venv/bin/python benchmarks/connection_guard.py --quick    # one short round of each

1. In process, on uvloop: each protocol parses requests handed to it as one read each from a
   stand-in transport and answers them from a trivial ASGI app: keep-alive requests on one
   connection, and connections of one request each. Instructions per request under
   ``valgrind --tool=callgrind`` (runs of 1,000 and 5,000, the difference divided by 4,000;
   steady on a shared host) and CPU time per request; the difference is the guard's own work.
2. Over loopback with wrk: the benchmark model of ``serve_bench.py`` (200 trees, depth 6,
   Breast Cancer) served by ``predictor serve``'s app and uvicorn configuration on each
   protocol; 1-row ``POST /predict`` on keep-alive connections (1 and 8) and with a new
   connection per request (``Connection: close``, 8). Rounds alternate between the two.
   Besides requests/s, the server process's CPU time per request (``/proc/PID/stat``), which
   other load on a shared host disturbs far less than throughput.

Prints Markdown tables for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import contenders  # noqa: E402
import report  # noqa: E402
from loadgen import LoadResult, ensure_wrk, run_wrk  # noqa: E402
from serve_bench import build_model, free_port  # noqa: E402

PROTOCOLS = ("plain", "guarded")
# Starts the app as `predictor serve` does (one worker), on either protocol.
LAUNCH = """
import sys
import uvicorn
from predictor.config import load_settings
from predictor.entrypoints.http.server import uvicorn_config

settings = load_settings()
config = uvicorn_config(settings)
if sys.argv[1] == "plain":
    config.http = "httptools"
    config.timeout_keep_alive = round(settings.http.keep_alive_timeout_s)
uvicorn.Server(config).run()
"""
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
HTTP_CASES: dict[str, tuple[int, dict[str, str]]] = {
    "keep-alive, 1 conn": (1, {}),
    "keep-alive, 8 conn": (8, {}),
    "new connection per request, 8 conn": (8, {"Connection": "close"}),
}


class _Transport(asyncio.Transport):
    """Takes writes and forgets them, counting them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes += 1

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _protocols(protocol: str, loop: asyncio.AbstractEventLoop) -> Callable[[], Any]:
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    from predictor.entrypoints.http.connections import ConnectionGuard, ConnectionLimits

    config = Config(app=_app, log_config=None, lifespan="off")
    config.load()
    state = ServerState()
    guard = ConnectionGuard(ConnectionLimits(10.0, 60.0, 5.0, 1000))
    if protocol == "plain":
        return lambda: HttpToolsProtocol(config, state, {}, loop)
    return lambda: guard(config, state, {}, loop)


async def _answered(transport: _Transport, writes: int) -> None:
    while transport.writes < writes:
        await asyncio.sleep(0)


async def _keep_alive(protocol: str, requests: int) -> float:
    """CPU µs per request, ``requests`` on one connection."""
    connection, transport = _protocols(protocol, asyncio.get_running_loop())(), _Transport()
    connection.connection_made(transport)
    began = time.process_time()
    for i in range(requests):
        connection.data_received(REQUEST)
        await _answered(transport, 2 * (i + 1))  # head and body
    elapsed = time.process_time() - began
    connection.connection_lost(None)
    return elapsed / requests * 1e6


async def _one_per_connection(protocol: str, connections: int) -> float:
    """CPU µs per connection that carries one request."""
    new = _protocols(protocol, asyncio.get_running_loop())
    began = time.process_time()
    for _ in range(connections):
        connection, transport = new(), _Transport()
        connection.connection_made(transport)
        connection.data_received(REQUEST)
        await _answered(transport, 2)
        connection.connection_lost(None)
    return (time.process_time() - began) / connections * 1e6


MICRO_CASES = {"keep-alive request": _keep_alive, "connection of one request": _one_per_connection}
CALLGRIND_RUNS = (1_000, 5_000)


def in_process(rounds: int, count: int) -> dict[str, dict[str, list[float]]]:
    found: dict[str, dict[str, list[float]]] = {case: {p: [] for p in PROTOCOLS} for case in MICRO_CASES}
    for round_ in range(rounds):
        for protocol in PROTOCOLS if round_ % 2 == 0 else PROTOCOLS[::-1]:
            for case, measure in MICRO_CASES.items():
                found[case][protocol].append(uvloop.run(measure(protocol, count)))
    return found


def _collected(case: str, protocol: str, count: int) -> int:
    """Instructions callgrind counts for a whole process that runs ``count`` of ``case``."""
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    completed = subprocess.run(
        [*valgrind, sys.executable, __file__, "--one", case, protocol, str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", completed.stderr)
    assert found, completed.stderr
    return int(found[1])


def instructions() -> dict[str, dict[str, float]]:
    """Instructions per request (or connection) of each case and protocol."""
    jobs = [(case, p, n) for case in MICRO_CASES for p in PROTOCOLS for n in CALLGRIND_RUNS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: _collected(*job), jobs), strict=True))
    small, large = CALLGRIND_RUNS
    return {
        case: {p: (counts[case, p, large] - counts[case, p, small]) / (large - small) for p in PROTOCOLS}
        for case in MICRO_CASES
    }


def _cpu_s(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class Run:
    load: LoadResult
    cpu_us_per_request: float


def over_http(
    exported: Path, rows: list[list[float]], work: Path, rounds: int, seconds: float
) -> dict[str, dict[str, list[Run]]]:
    """wrk against both servers, started afresh each round in alternating order: with both
    kept running, whichever started first measured slower in every round."""
    base = contenders.predictor(Path(sys.executable).parent, exported, 1)
    body = base.body(rows[:1])
    found: dict[str, dict[str, list[Run]]] = {case: {p: [] for p in PROTOCOLS} for case in HTTP_CASES}
    for round_ in range(rounds):
        order = PROTOCOLS if round_ % 2 == 0 else PROTOCOLS[::-1]
        servers: dict[str, contenders.Running] = {}
        try:
            for protocol in order:
                contender = contenders.Contender(
                    name=protocol,
                    command=[sys.executable, "-c", LAUNCH, protocol],
                    env={**base.env, "PREDICTOR_MODEL_DIR": str(exported), "PREDICTOR_PORT": "{port}"},
                    ready_path=base.ready_path,
                    predict_path=base.predict_path,
                    body=base.body,
                )
                servers[protocol] = contenders.start(contender, free_port(), work / f"guard-{protocol}.log")
            for protocol in order:  # warm-up
                run_wrk(servers[protocol].url + "/predict", body, 8, 1, base.headers)
            for case, (connections, extra) in HTTP_CASES.items():
                for protocol in order:
                    pid = servers[protocol].process.pid
                    cpu = _cpu_s(pid)
                    url = servers[protocol].url + "/predict"
                    result = run_wrk(url, body, connections, seconds, base.headers | extra)
                    run = Run(result, (_cpu_s(pid) - cpu) / result.requests * 1e6)
                    found[case][protocol].append(run)
                    print(
                        f"round {round_ + 1}, {case}, {protocol}: {result.requests_per_s:,.0f} req/s, "
                        f"{run.cpu_us_per_request:.0f} µs CPU per request",
                        flush=True,
                    )
        finally:
            for running in servers.values():
                running.stop()
    return found


def _span(values: list[float], fmt: str) -> str:
    low, high = min(values), max(values)
    return format(low, fmt) if low == high else f"{format(low, fmt)}–{format(high, fmt)}"


def tables(
    counted: dict[str, dict[str, float]],
    micro: dict[str, dict[str, list[float]]],
    http: dict[str, dict[str, list[Run]]],
) -> str:
    lines = [
        "| in process, uvloop | plain httptools | guarded | guard's cost |",
        "| --- | ---: | ---: | ---: |",
    ]
    for case, by in counted.items():
        plain, guarded = by["plain"], by["guarded"]
        lines.append(
            f"| {case}: instructions | {plain:,.0f} | {guarded:,.0f} | {guarded - plain:+,.0f} "
            f"({(guarded - plain) / plain:+.1%}) |"
        )
    for case, timings in micro.items():
        plain, guarded = statistics.median(timings["plain"]), statistics.median(timings["guarded"])
        lines.append(
            f"| {case}: CPU time (median) | {plain:.1f} µs | {guarded:.1f} µs | {guarded - plain:+.1f} µs |"
        )
    if not http:
        return "\n".join(lines)
    lines += [
        "",
        "| 1-row `/predict` over HTTP, 1 worker | plain httptools | guarded | guarded / plain (paired) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for case, runs in http.items():
        cells = []
        for protocol in PROTOCOLS:
            loads = [r.load for r in runs[protocol]]
            assert all(r.ok for r in loads), f"{case} {protocol}: errors in a run"
            rps = statistics.median(r.requests_per_s for r in loads)
            cpu = statistics.median(r.cpu_us_per_request for r in runs[protocol])
            span = _span([r.requests_per_s for r in loads], ",.0f")
            cells.append(f"{rps:,.0f} req/s ({span}); {cpu:.0f} µs CPU/request")
        pairs = list(zip(runs["plain"], runs["guarded"], strict=True))
        rps_ratio = statistics.median(g.load.requests_per_s / p.load.requests_per_s for p, g in pairs)
        cpu_ratio = statistics.median(g.cpu_us_per_request / p.cpu_us_per_request for p, g in pairs)
        ratios = f"req/s {rps_ratio - 1:+.1%}, CPU/request {cpu_ratio - 1:+.1%}"
        lines.append(f"| {case} | {cells[0]} | {cells[1]} | {ratios} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one round of 3 s runs")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds of each case")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench", help="scratch folder (git-ignored)")
    parser.add_argument("--one", nargs=3, metavar=("CASE", "PROTOCOL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one in-process run, for callgrind to count
        case, protocol, count_text = args.one
        uvloop.run(MICRO_CASES[case](protocol, int(count_text)))
        return
    rounds, seconds, count = (1, 3.0, 5_000) if args.quick else (args.rounds, args.seconds, 40_000)
    micro_rounds = max(rounds, 5)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    ensure_wrk()

    counted = instructions()
    micro = in_process(micro_rounds, count)
    print(tables(counted, micro, {}), flush=True)
    _, exported, _, rows = build_model(work)
    http = over_http(exported, rows, work, rounds, seconds)
    print()
    print(f"- machine: {report.machine()}")
    print(f"- command: `.venv/bin/python benchmarks/connection_guard.py{' --quick' if args.quick else ''}`")
    print(
        f"- in process: {count:,} requests per run, {micro_rounds} runs; wrk: {seconds:g} s, {rounds} rounds"
    )
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print(tables(counted, micro, http))
    runs = {
        case: {p: [dataclasses.asdict(r) for r in rs] for p, rs in by.items()} for case, by in http.items()
    }
    (work / "connection_guard.json").write_text(
        json.dumps({"instructions": counted, "in_process": micro, "http": runs}, indent=2)
    )


if __name__ == "__main__":
    main()
