"""The app with no lifespan run (Mangum's lifespan="off", on AWS Lambda) in on-request mode:
requests load and refresh each listed model, whatever route they come by, and models added
or removed at run time need no keeper task."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from predictor.entrypoints.http.app import create_app
from tests.unit.http.conftest import AUTH, row
from tests.unit.http.several import ADMIN, register, several

ROWS = {"instances": [row()]}


def client_without_lifespan(tmp_path: Path) -> TestClient:
    """Not entered as a context manager: the lifespan never runs."""
    return TestClient(create_app(several(tmp_path, with_ghost=False, refresh="on_request")))


def test_named_explain_loads_a_listed_model(tmp_path: Path) -> None:
    answer = client_without_lifespan(tmp_path).post("/v1/models/wine/explain", json=ROWS, headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"]["name"] == "wine"


def test_v2_model_metadata_loads_a_listed_model(tmp_path: Path) -> None:
    client = client_without_lifespan(tmp_path)
    assert client.get("/v2/models/wine", headers=AUTH).status_code == 200
    assert client.get("/v2/models/copy/versions/1", headers=AUTH).status_code == 200


def test_a_model_is_added_and_removed_without_keeper_tasks(tmp_path: Path) -> None:
    container = several(tmp_path, with_ghost=False, refresh="on_request")
    register(container, "cider")
    client = TestClient(create_app(container))
    added = client.post(
        "/v1/models/served", json={"name": "cider", "model": "cider@production"}, headers=ADMIN
    )
    assert added.status_code == 201, added.text
    assert client.post("/v1/models/cider/predict", json=ROWS, headers=AUTH).status_code == 200
    removed = client.delete("/v1/models/served/cider", headers=ADMIN)
    assert removed.status_code == 200, removed.text
    assert client.post("/v1/models/cider/predict", json=ROWS, headers=AUTH).status_code == 404
