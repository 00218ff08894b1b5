"""The api image's registry variant (``--build-arg INSTALL=api-registry``), built as
tests/integration/test_images.py builds every image: with ``PREDICTOR_MODEL_DIR`` emptied, it
follows ``models:/demo@production`` in an MLflow store instead of serving the /model export."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.images import ROOT, build
from tests.integration.test_images import API_KEY, WAIT_S, answered, in_venv, started
from tests.servers import export_breast_cancer, free_port

pytestmark = pytest.mark.integration


def test_the_registry_variant_serves_the_aliased_version(tmp_path_factory: pytest.TempPathFactory) -> None:
    store = export_breast_cancer(tmp_path_factory.mktemp("store"), seed=13).parent  # demo@production
    image = build(
        ROOT / "docker" / "api.Dockerfile",
        tmp_path_factory.mktemp("api-registry"),
        {"INSTALL": "api-registry"},
    )
    port = free_port()
    run = {
        "PREDICTOR_HOST": "127.0.0.1",
        "PREDICTOR_PORT": str(port),
        "PREDICTOR_API_KEYS": API_KEY,
        "PREDICTOR_MODEL_DIR": "",  # docker run -e PREDICTOR_MODEL_DIR= : no export, the registry
        "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
    }
    with started(image, image.cmd, run, image.prefix / "tmp" / "api-registry.log"):
        assert answered(f"http://127.0.0.1:{port}/health/live").status_code == 200
        deadline = time.monotonic() + WAIT_S
        while httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "the registry's model was not loaded"
            time.sleep(0.25)
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", headers={"X-API-Key": API_KEY})
    assert models.status_code == 200, models.text
    assert "production" in models.text
    assert {"mlflow", "xgboost-cpu"} <= in_venv(image)
