"""Soak: the real server for ten minutes under a mixed load, with one hot reload in the middle.

    .venv/bin/python benchmarks/soak.py                           # 600 s, into docs/performance.md
    .venv/bin/python benchmarks/soak.py --duration 60 --out -     # a first try, printed only

Trains Breast Cancer twice into a scratch SQLite MLflow store (version 1 promoted to production,
version 2 only registered), then serves ``demo@production`` with `predictor serve` (one worker,
prod profile: JSON log) and drives it from one asyncio client on loopback (`soak_load.py`):

- from 127.0.0.1, at a steady ``--rate`` over ``--connections`` keep-alive connections, three
  client keys in turn: 1-row and 100-row `/predict`, 10 rows at `/invocations`
  (``dataframe_split``) and at `/v2/models/demo/infer`, an invalid row (400) and a body in
  the wrong content type (415);
- from 127.0.0.2, a wrong key twice a second. Failed authentications are braked per address
  (at the defaults, 20 and then one per 5 s), so 401 and 429 are both expected there, and the
  brake holds that address only;
- from 127.0.0.3, ``--stalled`` connections that send part of a request and stop (half in the
  headers, half in the body); each one the server closes is counted and replaced;
- at half time: `predictor promote demo --version 2 --to production`, then
  `POST /v1/models/reload` with the admin key (the alias is also polled every 30 s).

Every ``--sample-s`` it records the server's RSS (VmRSS), throughput and latency. Pass
(`soak_report.py`): RSS growth after ``--warmup`` under 1 MiB/min (least squares), no
unexpected status, no traceback, ``"exception"`` or 5xx in the server's log. The soak is a
benchmark, not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import contenders  # noqa: E402
import serve_bench  # noqa: E402
import soak_load  # noqa: E402
import soak_report  # noqa: E402
from loadgen import percentile  # noqa: E402
from sections import write_section  # noqa: E402
from soak_load import ADMIN_KEY, CLIENT, KEYS, MODEL, WRONG, Connection, Kind, Tally  # noqa: E402
from soak_report import Window  # noqa: E402

HEADER_TIMEOUT_S, BODY_TIMEOUT_S = 2.0, 5.0
RELOAD_INTERVAL_S = 30
PREDICTOR = [str(serve_bench.BIN / "python"), "-m", "predictor"]


def environment(work: Path) -> dict[str, str]:
    """The store, artifacts and cache in ``work`` (as tests/servers.py's ``local_env``), the
    keys, and short connection timeouts."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
    return keep | {
        "PREDICTOR_MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
        "PREDICTOR_ARTIFACT_ROOT": str(work / "mlartifacts"),
        "PREDICTOR_CACHE_DIR": str(work / "cache"),
        "PREDICTOR_PROFILE": "prod",
        "PREDICTOR_MODEL_NAME": MODEL,
        "PREDICTOR_MODEL_ALIAS": "production",
        "PREDICTOR_API_KEYS": ",".join(KEYS),
        "PREDICTOR_ADMIN_API_KEYS": ADMIN_KEY,
        "PREDICTOR_RELOAD_INTERVAL_S": str(RELOAD_INTERVAL_S),
        "PREDICTOR_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "PREDICTOR_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
    }


def train(work: Path, env: dict[str, str]) -> None:
    """Version 1, promoted to production; version 2 (another seed), registered only."""
    for extra in (["--promote", "production"], ["--seed", "7"]):
        subprocess.run(
            [
                *PREDICTOR,
                "train",
                "--dataset",
                "breast-cancer",
                "--register",
                MODEL,
                "--no-plots",
                "-q",
                *extra,
            ],
            env=env,
            cwd=work,
            check=True,
            capture_output=True,
            timeout=900,
        )


def breast_cancer() -> tuple[list[str], list[list[float]]]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return [str(n) for n in data.feature_names], [[float(v) for v in row] for row in data.data]


async def hot_reload(port: int, env: dict[str, str], began: float) -> dict[str, object]:
    """Promote version 2, then ask the server to look at the alias now; when each happened
    (seconds since ``began``)."""
    at_s = time.monotonic() - began
    promote = [*PREDICTOR, "promote", MODEL, "--version", "2", "--to", "production"]
    promoted = await asyncio.to_thread(
        subprocess.run, promote, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    done: dict[str, object] = {"at_s": round(at_s), "promote_exit": promoted.returncode}
    connection = Connection(port, CLIENT)
    try:
        status, _, body = await connection.request("POST", "/v1/models/reload", {"X-API-Key": ADMIN_KEY})
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
        return done | {"status": f"error: {type(error).__name__}", "answer": None}
    finally:
        connection.close()
    answered = round(time.monotonic() - began)
    return done | {"done_s": answered, "status": status, "answer": json.loads(body)}


def _window(at_s: float, seconds: float, running: contenders.Running, tally: Tally) -> Window:
    """The window ending now, ``seconds`` long; its latencies are taken from ``tally``."""
    latencies, tally.window = tally.window, []
    p50, p99 = (percentile(latencies, q) if latencies else float("nan") for q in (0.5, 0.99))
    return Window(at_s, seconds, len(latencies), p50, p99, running.rss_mib(), tally.stalled_open)


async def drive(
    args: argparse.Namespace, running: contenders.Running, mix: list[Kind], env: dict[str, str]
) -> tuple[Tally, list[Window], dict[str, object]]:
    """The load for ``args.duration`` seconds, sampled every ``args.sample_s``; the reload at half time."""
    tally = Tally()
    began = time.monotonic()
    until = began + args.duration
    port, rate = running.port, args.rate / args.connections
    tasks = [
        asyncio.create_task(soak_load.client(port, mix, rate, until, tally, n))
        for n in range(args.connections)
    ]
    tasks.append(asyncio.create_task(soak_load.wrong_keys(port, until, tally)))
    tasks += [
        asyncio.create_task(soak_load.stall(port, "headers" if n % 2 else "body", until, tally))
        for n in range(args.stalled)
    ]
    reload: asyncio.Task[dict[str, object]] | None = None
    windows: list[Window] = []
    while (now := time.monotonic()) < until:
        await asyncio.sleep(min(args.sample_s, until - now))
        at_s = time.monotonic() - began
        windows.append(_window(at_s, at_s - (windows[-1].at_s if windows else 0), running, tally))
        print(_progress(windows[-1]), flush=True)
        if reload is None and at_s >= args.duration / 2:
            reload = asyncio.create_task(hot_reload(port, env, began))
    await asyncio.wait_for(asyncio.gather(*tasks), soak_load.TIMEOUT_S + 10)
    outcome = await reload if reload is not None else {}
    print(f"hot reload: {outcome}", flush=True)
    return tally, windows, outcome


def _progress(window: Window) -> str:
    return (
        f"{window.at_s:6.0f} s  {window.requests / window.seconds:7.1f} req/s  p50 {window.p50_ms:6.2f} ms  "
        f"p99 {window.p99_ms:7.2f} ms  RSS {window.rss_mib:6.1f} MiB  stalled open {window.stalled_open}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds left out of the RSS slope")
    parser.add_argument("--rate", type=float, default=300.0, help="requests/s offered from 127.0.0.1")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections for them")
    parser.add_argument("--stalled", type=int, default=30, help="stalled connections held open")
    parser.add_argument("--sample-s", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "soak", help="scratch (git-ignored)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"), help="'-': print only")
    args = parser.parse_args()
    if args.duration < 2 * args.sample_s:
        parser.error("--duration must span at least two samples")
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = environment(work)
    print("training versions 1 and 2 …", flush=True)
    train(work, env)
    mix = soak_load.kinds(*breast_cancer())
    server = contenders.Contender(
        name="predictor",
        command=[*PREDICTOR, "serve", "--port", "{port}"],
        env=env,
        ready_path="/health/ready",
        predict_path="/predict",
        body=lambda _: b"",
        cwd=work,
    )
    log = work / "server.log"
    # Taken when the server starts, which is when it imports this tree's code.
    started, commit = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), soak_report.commit(ROOT)
    running = contenders.start(server, serve_bench.free_port(), log)
    try:
        tally, windows, reload = asyncio.run(drive(args, running, mix, env))
    finally:
        running.stop()
    every = [*mix, WRONG]
    found = soak_report.verdict(tally, windows, soak_report.scan(log), args.warmup, every)
    run = soak_report.Run(
        command=f".venv/bin/python benchmarks/soak.py {' '.join(sys.argv[1:])}".strip(),
        date=started,
        commit=commit,
        duration=args.duration,
        warmup=args.warmup,
        sample_s=args.sample_s,
        reload=reload,
        load=(
            f"{args.duration:g} s; {args.rate:g} requests/s offered on {args.connections} keep-alive "
            f"connections (three client keys in turn), a wrong key every 0.5 s from 127.0.0.2, "
            f"{args.stalled} stalled connections from 127.0.0.3 (half in the headers, half in the body); "
            f"`PREDICTOR_HEADER_TIMEOUT_S={HEADER_TIMEOUT_S:g}`, "
            f"`PREDICTOR_BODY_TIMEOUT_S={BODY_TIMEOUT_S:g}`, "
            f"`PREDICTOR_RELOAD_INTERVAL_S={RELOAD_INTERVAL_S}`, the authentication brake at its defaults"
        ),
    )
    (work / "soak.json").write_text(
        json.dumps(
            asdict(run) | {"windows": [asdict(w) for w in windows], "statuses": tally.statuses}, indent=1
        )
    )
    lines = soak_report.section(run, tally, windows, found, every)
    print("\n".join(lines))
    if args.out != "-":
        write_section(Path(args.out), "soak", lines)
        print(f"written to {args.out}")
    sys.exit(0 if found.passed else 1)


if __name__ == "__main__":
    main()
