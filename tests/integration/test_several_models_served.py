"""Several models behind one `predictor serve`: two exported models (a binary classifier on
Breast Cancer, the default, and a multiclass one on Wine), real XGBoost boosters under real
uvicorn, reached by every route form; each model's RSS growth is measured from the proc file
system; a model added at run time serves until removed; a key scoped to one model gets 403 on
the other."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sklearn.datasets import load_breast_cancer, load_wine

from predictor.config import load_settings
from predictor.container import build_container
from predictor.domain.model import ModelRef
from predictor.services.serving.auth import key_id
from predictor.services.training.pipeline import TrainingRequest
from tests.servers import free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "client-key-0123456789abcdef"
SCOPED_KEY = "scoped-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
KEY = {"X-API-Key": API_KEY}


def _exported(work: Path) -> tuple[Path, Path]:
    """demo (Breast Cancer) and wine (Wine) trained in one SQLite store and exported."""
    settings = load_settings(
        mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        artifact_root=str(work / "mlartifacts"),
        cache_dir=work / "cache",
    )
    container = build_container(settings)
    for dataset, name in (("breast-cancer", "demo"), ("wine", "wine")):
        request = TrainingRequest(dataset=dataset, register_as=name, promote_to="production", plots=False)
        container.train_model()(request)
        container.export_model()(ModelRef(name, alias="production"), work / name)
    return work / "demo", work / "wine"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    demo, wine = _exported(tmp_path_factory.mktemp("export"))
    work = tmp_path_factory.mktemp("serve")
    listed = work / "models.yaml"
    listed.write_text(f"models:\n  - name: demo\n    model: {demo}\n  - name: wine\n    model: {wine}\n")
    port = free_port()
    env = local_env(
        work,
        PREDICTOR_API_KEYS=f"{API_KEY},{SCOPED_KEY}",
        PREDICTOR_ADMIN_API_KEYS=ADMIN_KEY,
        PREDICTOR_MODELS_FILE=str(listed),
        PREDICTOR_API_KEY_MODELS=f"{key_id(SCOPED_KEY)}=wine",
        PREDICTOR_METRICS_SINK="none",
    )
    with running(["serve", "--port", str(port)], env, work, port) as (url, _):
        yield url, demo


def _records(data: Any, rows: int = 2) -> list[dict[str, float]]:
    return [dict(zip(data.feature_names, map(float, data.data[i]), strict=True)) for i in range(rows)]


CANCER = _records(load_breast_cancer())
WINE = _records(load_wine())


def _post(url: str, path: str, body: object, headers: dict[str, str] = KEY) -> httpx.Response:
    return httpx.post(url + path, json=body, headers=headers, timeout=30)


def test_every_route_form_serves_the_model_it_names(served: tuple[str, Path]) -> None:
    url, _ = served
    for path in ("/predict", "/v1/predict", "/v1/models/demo/predict"):
        answered = _post(url, path, {"instances": CANCER})
        assert answered.status_code == 200, answered.text
        assert answered.json()["model"]["name"] == "demo"
    wine = _post(url, "/v1/models/wine/predict", {"instances": WINE})
    assert wine.status_code == 200, wine.text
    assert set(wine.json()["predictions"][0]["probabilities"]) == {"class_0", "class_1", "class_2"}
    explained = _post(url, "/v1/models/wine/explain", {"instances": WINE[:1]})
    assert set(explained.json()["explanations"][0]["contributions"]) == {"class_0", "class_1", "class_2"}
    assert _post(url, "/v1/explain", {"instances": CANCER[:1]}).json()["model"]["name"] == "demo"
    assert len(_post(url, "/invocations", {"dataframe_records": CANCER}).json()["predictions"]) == 2
    invoked = _post(url, "/invocations/wine", {"dataframe_records": WINE})
    assert len(invoked.json()["predictions"][0]) == 3  # the three classes' probabilities
    names = load_wine().feature_names
    tensors = [{"name": n, "shape": [1], "datatype": "FP64", "data": [WINE[0][n]]} for n in names]
    inferred = _post(url, "/v2/models/wine/infer", {"inputs": tensors})
    assert inferred.status_code == 200, inferred.text
    assert inferred.json()["model_name"] == "wine"
    assert httpx.get(f"{url}/v2/models/wine/ready", timeout=10).json() == {"name": "wine", "ready": True}
    assert _post(url, "/v1/models/other/predict", {"instances": WINE}).status_code == 404


def test_readiness_and_the_list_name_each_model_and_its_memory(served: tuple[str, Path]) -> None:
    url, _ = served
    ready = httpx.get(f"{url}/health/ready", headers=KEY, timeout=10).json()
    assert [(m["name"], m["ready"]) for m in ready["models"]] == [("demo", True), ("wine", True)]
    listed = httpx.get(f"{url}/v1/models/served", headers=KEY, timeout=10).json()
    assert listed["process_resident_bytes"] > 50 * 2**20  # numpy, xgboost, FastAPI and two boosters
    assert all(m["resident_bytes"] is not None and m["origin"] == "export" for m in listed["models"])


def test_a_key_scoped_to_wine_gets_403_on_demo(served: tuple[str, Path]) -> None:
    url, _ = served
    scoped = {"X-API-Key": SCOPED_KEY}
    assert _post(url, "/v1/models/wine/predict", {"instances": WINE}, scoped).status_code == 200
    for path in ("/v1/models/demo/predict", "/predict", "/invocations/demo"):
        refused = _post(url, path, {"instances": CANCER}, scoped)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_a_model_added_at_run_time_serves_until_removed(served: tuple[str, Path], tmp_path: Path) -> None:
    url, demo = served
    copy = shutil.copytree(demo, tmp_path / "copy")
    admin = {"X-API-Key": ADMIN_KEY}
    added = _post(url, "/v1/models/served", {"name": "copy", "model": str(copy)}, admin)
    assert added.status_code == 201, added.text
    assert _post(url, "/v1/models/copy/predict", {"instances": CANCER}).status_code == 200
    assert httpx.delete(f"{url}/v1/models/served/copy", headers=admin, timeout=10).status_code == 200
    assert _post(url, "/v1/models/copy/predict", {"instances": CANCER}).status_code == 404
    assert httpx.delete(f"{url}/v1/models/served/demo", headers=admin, timeout=10).status_code == 409
