"""Each image of docker/, built without Docker (tests/images.py runs its Dockerfile's own
instructions into a scratch prefix) and started from there with its ENV and CMD: it answers, it
holds only the packages it needs, and it writes nowhere but /tmp and its declared volume.

A ``docker run -e`` / argument stands in for what differs here: the listener on 127.0.0.1 and a
free port, an API key, and Python 3.11 (this machine's) for the Lambda image's 3.12.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from tests.images import ROOT, Image, build
from tests.integration.lambda_runtime import runtime_api
from tests.integration.test_lambda_runtime import a_row, predict_event
from tests.integration.test_serving_install import (
    NOT_ON_THE_SERVING_PATH,
    TRAINING_STACK,
    imported_by_serving,
)
from tests.servers import export_breast_cancer, free_port

pytestmark = pytest.mark.integration

API_KEY = "images-key-0123456789"
WAIT_S = 180
NOT_ON_CPU = {"xgboost", "nvidia-nccl-cu12", "nvidia-nccl-cu13"}  # xgboost-cpu serves instead
# Where the images may write: /tmp (a tmpfs under --read-only) and the volume they declare.
TMP, VOLUME = ("/tmp",), ("/tmp", "/data")  # noqa: S108  # the image's directories, moved under its prefix


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("export"), seed=11)


def built(tmp_path_factory: pytest.TempPathFactory, name: str, **args: str) -> Image:
    return build(ROOT / "docker" / f"{name}.Dockerfile", tmp_path_factory.mktemp(name), args)


def distributions(site: Path) -> set[str]:
    """The distributions installed in ``site``, by normalised name."""
    return {path.name.split("-")[0].lower().replace("_", "-") for path in site.glob("*.dist-info")}


def in_venv(image: Image) -> set[str]:
    return distributions(next((image.prefix / "opt" / "venv").glob("lib/python*/site-packages")))


def files(image: Image, writable: tuple[str, ...]) -> set[Path]:
    """Every file of the image outside its ``writable`` directories."""
    allowed = [Path(image.moved(directory)) for directory in writable]
    return {path for path in image.prefix.rglob("*") if not any(map(path.is_relative_to, allowed))}


@contextmanager
def started(image: Image, command: list[str], env: Mapping[str, str], log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env={**image.env, **env}, cwd=image.workdir, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


def answered(url: str, timeout: float = WAIT_S) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def test_the_api_image_serves_an_export_with_the_serving_packages_only(
    tmp_path_factory: pytest.TempPathFactory, exported: Path
) -> None:
    image = built(tmp_path_factory, "api")
    subprocess.run(["cp", "-r", str(exported), image.env["PREDICTOR_MODEL_DIR"]], check=True)  # the -v mount
    before = files(image, TMP)
    port = free_port()
    run = {"PREDICTOR_HOST": "127.0.0.1", "PREDICTOR_PORT": str(port), "PREDICTOR_API_KEYS": API_KEY}
    with started(image, image.cmd, run, image.prefix / "tmp" / "api.log"):
        assert answered(f"http://127.0.0.1:{port}/health/live").status_code == 200
        health = subprocess.run(image.healthcheck, env={**image.env, **run}, check=False, timeout=30)
        row = a_row(exported)
        prediction = httpx.post(
            f"http://127.0.0.1:{port}/predict", json={"instances": [row]}, headers={"X-API-Key": API_KEY}
        )
    assert health.returncode == 0
    assert prediction.status_code == 200, prediction.text
    assert len(prediction.json()["predictions"]) == 1
    assert files(image, TMP) == before
    installed = in_venv(image)
    assert not installed & {"mlflow", "pandas", "scikit-learn", "scipy", "optuna", *NOT_ON_CPU}
    assert {"xgboost-cpu", "predictor", "uvloop"} <= installed
    imported = imported_by_serving(image.prefix / "opt" / "venv" / "bin" / "python", exported)
    assert not imported & {*TRAINING_STACK, *NOT_ON_THE_SERVING_PATH}


def test_the_mlflow_image_answers_its_rest_api_on_sqlite_in_its_volume(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    image = built(tmp_path_factory, "mlflow")
    port = free_port()
    command = [*image.cmd[:-4], "--host", "127.0.0.1", "--port", str(port)]
    assert image.cmd[-4:] == ["--host", "0.0.0.0", "--port", "5000"]  # noqa: S104  # the image's, replaced
    before = files(image, VOLUME)
    with started(image, command, {}, image.prefix / "tmp" / "mlflow.log"):
        assert answered(f"http://127.0.0.1:{port}/health").status_code == 200
        healthcheck = [word.replace(":5000/", f":{port}/") for word in image.healthcheck]
        health = subprocess.run(healthcheck, env=image.env, check=False, timeout=30)
        created = httpx.post(
            f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/create", json={"name": "images"}
        )
    assert health.returncode == 0
    assert created.status_code == 200, created.text
    assert created.json()["experiment_id"]
    assert (image.workdir / "mlflow.db").is_file()
    assert files(image, VOLUME) == before
    installed = in_venv(image)
    assert {"mlflow", "psycopg", "boto3"} <= installed
    assert not installed & NOT_ON_CPU


def test_the_train_image_trains_and_registers_on_a_local_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from mlflow import MlflowClient

    image = built(tmp_path_factory, "train")
    before = files(image, VOLUME)
    command = [*image.entrypoint, *image.cmd]
    job = subprocess.run(
        command, env=image.env, cwd=image.workdir, capture_output=True, text=True, check=False
    )
    assert job.returncode == 0, job.stdout + job.stderr
    client = MlflowClient(tracking_uri=f"sqlite:///{image.workdir / 'mlflow.db'}")
    assert str(client.get_model_version_by_alias("demo", "production").version) == "1"
    assert files(image, VOLUME) == before
    assert not in_venv(image) & NOT_ON_CPU


def test_the_lambda_image_answers_an_api_gateway_event(
    tmp_path_factory: pytest.TempPathFactory, exported: Path
) -> None:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    image = built(tmp_path_factory, "lambda", PYTHON_VERSION=python, MODEL_DIR=str(exported))
    runtime = image.env["LAMBDA_RUNTIME_DIR"]  # the base image's: the runtime client
    uv = str(ROOT / ".uv" / "bin" / "uv")
    client = f"awslambdaric=={version('awslambdaric')}"
    subprocess.run([uv, "pip", "install", "-q", "--target", runtime, client], check=True, timeout=600)
    task = Path(image.env["LAMBDA_TASK_ROOT"])
    installed = distributions(task)
    assert not installed & {"scipy", "uvloop", "httptools", "mlflow", "pandas", *NOT_ON_CPU}
    assert {"mangum", "xgboost-cpu", "predictor"} <= installed
    with runtime_api() as api:
        env = {
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "predictor",
            "PYTHONPATH": f"{task}:{runtime}",  # the task root first, as Lambda's bootstrap has it
            "PREDICTOR_API_KEYS": API_KEY,
        }
        command = ["python", "-s", "-m", "awslambdaric", *image.cmd]
        image.workdir = task
        with started(image, command, env, image.prefix / "tmp" / "lambda.log"):
            answer = api.wait_for(api.invoke(predict_event(exported, [a_row(exported)], key=API_KEY)), WAIT_S)
    assert answer["statusCode"] == 200, answer
    assert answer["headers"]["x-model-version"] == "1"
