"""Serving benchmark: predictor against `mlflow models serve` and MLServer, on one booster.

    .venv/bin/python benchmarks/serve_bench.py            # the full run (~15 min on 2 cores)
    .venv/bin/python benchmarks/serve_bench.py --quick    # shorter runs, no repeats
    .venv/bin/python benchmarks/serve_bench.py --before /tmp/before   # and the tree before a change

With ``--before DIR`` (a source tree, e.g. a `git worktree` of the commit before a change), that
tree's predictor is measured in the same run beside the current one: served by the same
environment with ``PYTHONPATH`` on its ``src/``, from the same exported model, with 1 and 2
workers. The goals are judged on the current tree; the before tree's ratios are shown beside.

Builds the 200-tree, depth-6 model on UCI Breast Cancer in a scratch MLflow store, exports it,
starts each server on loopback, and measures with wrk: 1-row requests at 1, 8 and 32
connections, 100- and 10,000-row batches and RSS, each case twice; then steps connections up
1…64. Cold start (launch to the first 200) is measured on its own first: five launches in a row
before any load on that server, the goal judged on their median. Writes a table, the goals as
ratios of this one run, and a PNG chart into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import contenders  # noqa: E402
import report  # noqa: E402
from loadgen import ensure_wrk, run_wrk  # noqa: E402

BIN = Path(sys.executable).parent
MODEL = "bench"
PARAMS = {"max_depth": 6, "num_boost_round": 200, "early_stopping_rounds": 0, "eta": 0.1}
# Launches for the cold start: one start-up varies with the page cache and the scheduler, so
# the goal is judged on the median of several, measured before the server has seen any load.
COLD_STARTS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serving_install(work: Path, uv: str) -> Path:
    """predictor's serving install from the lock: `uv sync --frozen --no-dev --no-editable` with
    bytecode compiled, as docker/api.Dockerfile compiles it, no extras (no MLflow,
    pandas, scikit-learn, Optuna), into its own environment. Without compiled bytecode the
    first start would spend ~1 s compiling every module, which no image does."""
    env_dir = work / "serving-env"
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(env_dir), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [
            uv,
            "sync",
            "--frozen",
            "--no-dev",
            "--no-editable",
            "--compile-bytecode",
            "--reinstall-package",
            "predictor",
            "-q",
            "--python",
            sys.executable,
        ],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    return env_dir / "bin"


def before_tree(work: Path, tree: Path, python: Path) -> Path:
    """A copy of ``tree``'s ``src/`` with its bytecode compiled, as the serving install has (the
    tree itself may be read-only, and compiling on the first launch would count in its cold
    start)."""
    source = tree / "src"
    if not (source / "predictor" / "__main__.py").is_file():
        raise SystemExit(f"--before {tree}: no src/predictor/__main__.py there")
    copy = work / "before-src"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([str(python), "-m", "compileall", "-q", str(copy)], check=True)
    return copy


def tree_label(tree: Path) -> str:
    """``/tmp/before (dea1a05)``: the folder and, when it is a git checkout, its commit."""
    found = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return f"`{tree}` ({found.stdout.strip()})" if found.returncode == 0 else f"`{tree}`"


def build_model(work: Path) -> tuple[str, Path, list[str], list[list[float]]]:
    """Train and register the benchmark model, export it; return the tracking URI, the export,
    the feature names and the data set's rows."""
    from predictor.config import load_settings
    from predictor.container import build_container
    from predictor.services.training.pipeline import TrainingRequest

    tracking_uri = f"sqlite:///{work / 'mlflow.db'}"
    settings = load_settings(
        mlflow_tracking_uri=tracking_uri, artifact_root=str(work / "mlartifacts"), cache_dir=work / "cache"
    )
    container = build_container(settings)
    container.train_model()(
        TrainingRequest(dataset="breast-cancer", register_as=MODEL, promote_to="production", params=PARAMS)
    )
    exported = work / "exported"
    shutil.rmtree(exported, ignore_errors=True)
    env = {
        **os.environ,
        "PREDICTOR_MLFLOW_TRACKING_URI": tracking_uri,
        "PREDICTOR_CACHE_DIR": str(work / "cache"),
    }
    subprocess.run(
        [str(BIN / "predictor"), "export", f"models:/{MODEL}@production", str(exported)],
        env=env,
        check=True,
        capture_output=True,
    )
    table = container.adapters.datasets().load("breast-cancer")
    names = list(table.feature_names)
    rows = [[float(table.columns[n][i]) for n in names] for i in range(table.rows)]
    return tracking_uri, exported, names, rows


def inplace_predict_s(booster: Path, rows: list[list[float]], repeats: int = 20) -> float:
    """The floor for a 10,000-row batch: the model's own ``inplace_predict`` on those rows, as
    float32, every core, no server; the best of ``repeats`` after a warm-up."""
    import numpy as np
    import xgboost

    model = xgboost.Booster(model_file=str(booster))
    matrix = np.asarray(batch(rows, 10_000), dtype=np.float32)
    model.inplace_predict(matrix)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        model.inplace_predict(matrix)
        times.append(time.perf_counter() - began)
    return min(times)


def batch(rows: list[list[float]], size: int) -> list[list[float]]:
    return [rows[i % len(rows)] for i in range(size)]


def cold_starts(contender: contenders.Contender, log_dir: Path, launches: int) -> list[float]:
    """Launch to the first 200, ``launches`` times in a row, stopping the server in between."""
    found = []
    for launch in range(launches):
        running = contenders.start(
            contender, _port_for(contender), _log(log_dir, contender, f"cold-{launch}")
        )
        found.append(running.cold_start_s)
        running.stop()
    return found


def measure(
    contender: contenders.Contender,
    work: Path,
    rows: list[list[float]],
    seconds: float,
    repeats: int,
    steps: list[int],
    launches: int,
) -> dict[str, object]:
    cases = {
        "1 row, 1 conn": (1, 1),
        "1 row, 8 conn": (1, 8),
        "1 row, 32 conn": (1, 32),
        "100 rows, 8 conn": (100, 8),
        "10,000 rows, 2 conn": (10_000, 2),
    }
    out: dict[str, object] = {
        "name": contender.name,
        "note": contender.note,
        "cases": {},
        "steps": [],
        "cold_start_s": [],
        "rss_ready_mib": [],
        "rss_loaded_mib": [],
    }
    log_dir = work / "logs"
    log_dir.mkdir(exist_ok=True)
    out["cold_start_s"] = cold_starts(contender, log_dir, launches)
    for attempt in range(repeats):
        running = contenders.start(contender, _port_for(contender), _log(log_dir, contender, str(attempt)))
        try:
            time.sleep(0.5)
            out["rss_ready_mib"].append(running.rss_mib())  # type: ignore[union-attr]
            url = running.url + contender.predict_path
            contenders.post(running, contender.body(rows[:5]))  # warm-up and a check that it answers
            for label, (size, conns) in cases.items():
                result = run_wrk(url, contender.body(batch(rows, size)), conns, seconds, contender.headers)
                out["cases"].setdefault(label, []).append(asdict(result) | {"rows": size})  # type: ignore[union-attr]
            for big in contender.big_batches:
                body = big.body(batch(rows, 10_000))
                headers = contender.headers | big.headers
                result = run_wrk(running.url + big.path, body, 2, seconds, headers)
                out["cases"].setdefault(big.label, []).append(asdict(result) | {"rows": 10_000})  # type: ignore[union-attr]
            if attempt == 0:
                for conns in steps:
                    step = run_wrk(url, contender.body(rows[:1]), conns, seconds, contender.headers)
                    out["steps"].append(asdict(step))  # type: ignore[union-attr]
            out["rss_loaded_mib"].append(running.rss_mib())  # type: ignore[union-attr]
        finally:
            running.stop()
    return out


def _port_for(contender: contenders.Contender) -> int:
    """A free port; for MLServer, the first of three in a row (HTTP, gRPC, metrics)."""
    return _three_free_ports() if "MLServer" in contender.name else free_port()


def _log(log_dir: Path, contender: contenders.Contender, run: str) -> Path:
    return log_dir / f"{contender.name.replace(' ', '_')}-{run}.log"


def _three_free_ports() -> int:
    while True:
        port = free_port()
        if port + 2 < 65535 and all(_is_free(port + k) for k in (1, 2)):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def versions(mlserver_env: Path) -> dict[str, str]:
    from importlib.metadata import version

    mlserver = subprocess.run(
        [str(mlserver_env / "bin" / "mlserver"), "--version"], capture_output=True, text=True, check=False
    )
    return {
        "python": platform.python_version(),
        "predictor": version("predictor"),
        "xgboost": version("xgboost"),
        "mlflow": version("mlflow"),
        "fastapi": version("fastapi"),
        "uvicorn": version("uvicorn"),
        "mlserver": mlserver.stdout.strip().split()[-1] if mlserver.returncode == 0 else "?",
        "wrk": subprocess.run(
            [ensure_wrk(), "-v"], capture_output=True, text=True, check=False
        ).stdout.split()[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each wrk run")
    parser.add_argument("--quick", action="store_true", help="3 s runs, no repeats, fewer steps")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench", help="scratch folder (git-ignored)")
    parser.add_argument("--only", action="append", help="run only contenders whose name contains this")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument(
        "--before", type=Path, metavar="DIR", help="also measure the predictor of this source tree"
    )
    args = parser.parse_args()
    seconds, repeats, launches = (3.0, 1, 2) if args.quick else (args.seconds, 2, COLD_STARTS)
    steps = [1, 4, 16, 64] if args.quick else [1, 2, 4, 8, 16, 32, 64]
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    uv = shutil.which("uv") or str(ROOT / ".uv" / "bin" / "uv")
    mlserver_env = contenders.ensure_mlserver(work / "mlserver-env", uv)

    serving_bin = serving_install(work, uv)
    tracking_uri, exported, names, rows = build_model(work)
    booster = exported / json.loads((exported / "manifest.json").read_text())["booster_file"]
    line_up = [
        contenders.predictor(serving_bin, exported, 1),
        contenders.predictor(serving_bin, exported, 2),
    ]
    if args.before:
        source = before_tree(work, args.before.resolve(), serving_bin / "python")
        line_up += [
            contenders.predictor(serving_bin, exported, 1, source),
            contenders.predictor(serving_bin, exported, 2, source),
        ]
    line_up += [
        contenders.mlserver(mlserver_env, work / "mlserver-model", booster, MODEL),
        contenders.mlflow(BIN, tracking_uri, f"models:/{MODEL}/1", names, work),
    ]
    if args.only:
        line_up = [c for c in line_up if any(o.lower() in c.name.lower() for o in args.only)]
    floor_s = inplace_predict_s(booster, rows)
    results = []
    for contender in line_up:
        print(f"measuring {contender.name} …", flush=True)
        results.append(measure(contender, work, rows, seconds, repeats, steps, launches))
    run = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python", "benchmarks/serve_bench.py", *sys.argv[1:]]),
        "machine": report.machine(),
        "versions": versions(mlserver_env),
        "seconds": seconds,
        "repeats": repeats,
        "results": results,
        "inplace_predict_10k_s": floor_s,
    }
    if args.before:
        run["before"] = tree_label(args.before.resolve())
    (work / "serve_bench.json").write_text(json.dumps(run, indent=2))
    goals = report.goals(results, floor_s=floor_s)
    report.write(args.out, run, goals)
    for goal in goals:
        print(("MET     " if goal.met else "NOT MET ") + goal.text)
    sys.exit(0 if all(g.met for g in goals) else 1)


if __name__ == "__main__":
    main()
