"""The serving install from the lock (benchmarks/serve_bench.py's; docker/api.Dockerfile installs
the same packages with xgboost-cpu for xgboost, and tests/integration/test_images.py runs it).

`uv sync --frozen --no-dev` (no extras) from uv.lock gives an environment without MLflow,
pandas, scikit-learn, pyarrow or Optuna; `predictor serve --model-dir` there serves the export
and answers exactly as the full development environment does. Serving calls libxgboost
directly, so in either environment creating the app from an export imports neither the
training stack nor the ``xgboost`` package (nor scipy with it), nor the training side of the
domain.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import clean_env, export_breast_cancer, free_port, wait_ready

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "serving-install-key-0123456789"
SERVING_INSTALL = ("sync", "--frozen", "--no-dev", "--no-editable")
TRAINING_STACK = ("mlflow", "pandas", "sklearn", "optuna", "pyarrow", "matplotlib", "scipy.stats")
# Not needed to serve, and each costs start-up time: the xgboost package (libxgboost is called
# directly), scipy, the training side of predictor's domain, and the in-memory fakes. (The
# OpenAPI document's response models are imported: the routes declare them.)
NOT_ON_THE_SERVING_PATH = (
    "predictor.adapters.memory",
    "xgboost",
    "scipy",
    "predictor.services.training.pipeline",
    "predictor.services.training.tuning",
    "predictor.services.serving.batch_scoring",
    "predictor.adapters.xgboost.trainer",
)
IMPORTED = """
import asyncio, json, sys
from predictor.config import load_settings
from predictor.container import build_container
from predictor.entrypoints.http.app import create_app

app = create_app(build_container(load_settings(model_dir=sys.argv[1])))

async def start_and_stop() -> None:
    async with app.router.lifespan_context(app):
        pass

asyncio.run(start_and_stop())
tops = {m.split(".")[0] for m in sys.modules}
ours = {m for m in sys.modules if m.startswith("predictor.")}
print(json.dumps(sorted(tops | ours | ({"scipy.stats"} & set(sys.modules)))))
"""


def _uv() -> str:
    found = ROOT / ".uv" / "bin" / "uv"
    return str(found) if found.exists() else (shutil.which("uv") or "uv")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("export"), seed=3)


@pytest.fixture(scope="module")
def serving_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    env_dir = tmp_path_factory.mktemp("serving") / "venv"
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(env_dir), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        # --reinstall-package: uv's cache keys a local project's build on pyproject.toml, not on
        # src/, and would install the last build of predictor it made (a clean clone has none).
        [_uv(), *SERVING_INSTALL, "--reinstall-package", "predictor", "--python", sys.executable, "-q"],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=600,
    )
    yield env_dir
    shutil.rmtree(env_dir, ignore_errors=True)


def imported_by_serving(python: Path | str, model_dir: Path) -> set[str]:
    done = subprocess.run(
        [str(python), "-c", IMPORTED, str(model_dir)],
        env={**clean_env(), "PREDICTOR_API_KEYS": API_KEY},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_serving_install_has_no_training_stack(serving_env: Path) -> None:
    python = serving_env / "bin" / "python"
    probe = (
        "import importlib.util, json, sys; "
        "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m)]))"
    )
    found = subprocess.run(
        [str(python), "-c", probe, "mlflow", "pandas", "sklearn", "optuna", "pyarrow", "matplotlib"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == []


def test_the_serving_install_serves_an_export_as_the_full_install_does(
    serving_env: Path, exported: Path, tmp_path: Path
) -> None:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rows = [dict(zip(data.feature_names, map(float, row), strict=True)) for row in data.data[:20]]
    answers = []
    for predictor in (serving_env / "bin" / "predictor", Path(sys.executable).parent / "predictor"):
        port = free_port()
        env = {**clean_env(), "PREDICTOR_API_KEYS": API_KEY, "PREDICTOR_PROFILE": "prod"}
        with (tmp_path / f"serve-{port}.log").open("w") as log:
            process = subprocess.Popen(
                [str(predictor), "serve", "--model-dir", str(exported), "--port", str(port)],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_ready(f"http://127.0.0.1:{port}", process)
                response = httpx.post(
                    f"http://127.0.0.1:{port}/predict",
                    json={"instances": rows},
                    headers={"X-API-Key": API_KEY},
                    timeout=30,
                )
            finally:
                process.terminate()
                process.wait(timeout=20)
        assert response.status_code == 200, response.text
        answers.append(response.json()["predictions"])
    assert answers[0] == answers[1]


def test_serving_an_export_imports_no_training_stack(serving_env: Path, exported: Path) -> None:
    lean = imported_by_serving(serving_env / "bin" / "python", exported)
    assert not lean & {*TRAINING_STACK, *NOT_ON_THE_SERVING_PATH}
    # uvicorn without its [standard] extras, which dependency-injector and uvicorn would import.
    assert not lean & {"yaml", "watchfiles", "websockets"}
    assert {"numpy", "predictor.adapters.xgboost.native"} <= lean
    # The full development install has all of these installed; serving still imports none.
    full = imported_by_serving(sys.executable, exported)
    assert not full & {*TRAINING_STACK, *NOT_ON_THE_SERVING_PATH}
