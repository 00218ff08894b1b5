"""Lambda cold start and artifact size: import + init + first invocation, in a fresh process.

    .venv/bin/python benchmarks/lambda_cold_start.py              # 5 launches of each, alternating
    .venv/bin/python benchmarks/lambda_cold_start.py --runs 9

Three contenders, each a fresh Python process answering one prediction of the same exported
model (200 trees, depth 6, on UCI Breast Cancer, as benchmarks/serve_bench.py builds it):

- ``predictor``: ``predictor.entrypoints.lambda_handler.handler`` fed an API Gateway REST event,
  in the serving install with the ``aws`` extra only (``uv sync --frozen --no-dev --no-editable
  --extra aws``, bytecode compiled), the model baked as ``PREDICTOR_MODEL_DIR``;
- ``plain``: xgboost + Mangum + FastAPI in ~15 lines, in the same environment, fed the same event;
- ``mlflow pyfunc``: ``mlflow.pyfunc.load_model`` on the same export and ``predict`` on a
  DataFrame, in the development environment (the only one with MLflow).

Launches alternate (predictor, plain, mlflow, predictor, …) so drift on a shared host hits each;
the goals are judged on medians. ``predictor, from the zip`` is the same handler run from the
artifact alone (``python -S`` with the artifact as ``PYTHONPATH``), proving the zip serves. The
artifact is the zip ``make lambda-zip`` builds (tools/lambda_zip.py: the locked serving install
and ``aws`` extra, ``xgboost-cpu`` for ``xgboost``, without scipy, uvloop and httptools, bytecode
compiled), here for this machine's Python; its size is measured unzipped and zipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from tools.lambda_zip import build as build_zip  # noqa: E402
from tools.requirements import pins  # noqa: E402

from serve_bench import build_model  # noqa: E402

KEY = "lambda-bench-key-0123456789"
GOAL_S = 0.7
GOAL_RATIO = 0.15
GOAL_MB = 250

CONTEXT = """
class Context:
    aws_request_id = "bench-0001"
    function_name = "predictor"
"""
PREDICTOR = (
    CONTEXT
    + """
import json, sys
from predictor.entrypoints.lambda_handler import handler
answer = handler(json.load(open(sys.argv[1])), Context())
assert answer["statusCode"] == 200, answer
"""
)
PLAIN = (
    CONTEXT
    + """
import json, sys
import numpy as np, xgboost
from fastapi import FastAPI, Request
from mangum import Mangum

booster = xgboost.Booster(model_file=sys.argv[2])
app = FastAPI()

@app.post("/predict")
async def predict(request: Request) -> dict:
    rows = (await request.json())["instances"]
    matrix = np.asarray([[float(v) for v in row.values()] for row in rows], dtype=np.float32)
    return {"predictions": booster.inplace_predict(matrix).tolist()}

answer = Mangum(app, lifespan="off")(json.load(open(sys.argv[1])), Context())
assert answer["statusCode"] == 200, answer
"""
)
MLFLOW = """
import json, sys
import mlflow.pyfunc, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
example = json.load(open(sys.argv[1] + "/input_example.json"))
model.predict(pd.DataFrame(example["data"], columns=example["columns"]))
"""


def _uv() -> str:
    found = ROOT / ".uv" / "bin" / "uv"
    return str(found) if found.exists() else (shutil.which("uv") or "uv")


def serving_install(work: Path) -> Path:
    """The serving install with the aws extra, in its own environment; its python."""
    env_dir = work / "lambda-env"
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(env_dir), "UV_PYTHON_DOWNLOADS": "never"}
    command = [_uv(), "sync", "--frozen", "--no-dev", "--no-editable", "--extra", "aws", "--compile-bytecode"]
    command += ["--reinstall-package", "predictor", "-q", "--python", sys.executable]
    subprocess.run(command, cwd=ROOT, env=environment, check=True)
    return env_dir / "bin" / "python"


def artifact(work: Path, exported: Path) -> tuple[Path, float, float]:
    """The zip ``make lambda-zip`` builds (tools/lambda_zip.py), for this Python so that it runs
    here, with ``exported`` baked in; unpacked, and its MB unzipped and zipped."""
    archive = work / "predictor-lambda.zip"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    unzipped_mb, zipped_mb, _ = build_zip(exported, archive, version, sys.executable)
    target = work / "artifact"
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(target)
    return target, unzipped_mb, zipped_mb


def rest_event(exported: Path, work: Path) -> Path:
    """An API Gateway REST (v1) event: POST /predict with one row of the input example."""
    given = json.loads((ROOT / "tests" / "fixtures" / "lambda" / "rest_v1_predict.json").read_text())
    example = json.loads((exported / "input_example.json").read_text())
    row = dict(zip(example["columns"], example["data"][0], strict=True))
    given["body"] = json.dumps({"instances": [row]})
    given["headers"]["X-API-Key"] = KEY
    given["multiValueHeaders"]["X-API-Key"] = [KEY]
    path = work / "event.json"
    path.write_text(json.dumps(given))
    return path


def launch(
    python: Path | str, script: str, args: list[str], env: dict[str, str], cwd: Path, *flags: str
) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), *flags, "-c", script, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"a launch failed:\n{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "lambda")
    options = parser.parse_args()
    work = options.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    _, exported, _, _ = build_model(work)
    lambda_python = serving_install(work)
    target, unzipped_mb, zipped_mb = artifact(work, exported)
    xgboost_pin = ", ".join(pin for pin in pins("lambda") if pin.startswith("xgboost-cpu=="))
    event = rest_event(exported, work)
    booster = exported / json.loads((exported / "manifest.json").read_text())["booster_file"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
    lambda_env = {**base, "PREDICTOR_MODEL_DIR": str(exported), "PREDICTOR_API_KEYS": KEY}
    lambda_env |= {"AWS_LAMBDA_FUNCTION_NAME": "predictor", "PREDICTOR_METRICS_SINK": "none"}
    # The zip's content alone on the path: no site-packages (-S), the artifact as PYTHONPATH.
    zip_env = {**lambda_env, "PYTHONPATH": str(target)}
    runs: dict[str, list[float]] = {"predictor": [], "predictor, from the zip": [], "plain": []}
    runs["mlflow pyfunc"] = []
    for _ in range(options.runs):
        runs["predictor"].append(launch(lambda_python, PREDICTOR, [str(event)], lambda_env, work))
        from_zip = launch(sys.executable, PREDICTOR, [str(event)], zip_env, work, "-S")
        runs["predictor, from the zip"].append(from_zip)
        runs["plain"].append(launch(lambda_python, PLAIN, [str(event), str(booster)], base, work))
        runs["mlflow pyfunc"].append(launch(sys.executable, MLFLOW, [str(exported)], base, work))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    ratio = medians["predictor"] / medians["mlflow pyfunc"]
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"runs: {options.runs} fresh processes each, alternating\n")
    print("| contender | median s | min s | max s |\n| --- | --- | --- | --- |")
    for name, times in runs.items():
        print(f"| {name} | {medians[name]:.3f} | {min(times):.3f} | {max(times):.3f} |")
    print(f"\npredictor / mlflow pyfunc: {ratio:.3f}x (goal <= {GOAL_RATIO}x)")
    print(f"predictor median: {medians['predictor']:.3f} s (goal <= {GOAL_S} s, host-dependent)")
    print(
        f"artifact ({xgboost_pin}): {unzipped_mb:.1f} MB unzipped (goal <= {GOAL_MB}),",
        f"{zipped_mb:.1f} MB zipped",
    )


if __name__ == "__main__":
    main()
