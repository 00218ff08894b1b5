"""Several models behind one server: every route form serves the model it names (the default
one where it names none), one model that does not load leaves the others serving, and
readiness says which are loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from predictor.domain.model import ModelRef
from tests.unit.http.conftest import AUTH, assert_problem, row, serve
from tests.unit.http.several import STEP, eventually, register, several
from tests.unit.http.test_v2 import feature_tensors

ROWS = {"instances": [row(), row(x1=-2.0, colour="blue")]}


def _model(response: Any) -> str:
    assert response.status_code == 200, response.text
    name: str = response.json()["model"]["name"]
    return name


def test_every_route_form_serves_the_model_it_names(tmp_path: Path) -> None:
    with serve(several(tmp_path, with_ghost=False)) as client:
        assert _model(client.post("/predict", json=ROWS, headers=AUTH)) == "demo"
        assert _model(client.post("/v1/predict", json=ROWS, headers=AUTH)) == "demo"
        assert _model(client.post("/v1/models/wine/predict", json=ROWS, headers=AUTH)) == "wine"
        assert _model(client.post("/v1/models/wine/explain", json=ROWS, headers=AUTH)) == "wine"
        assert _model(client.post("/v1/explain", json=ROWS, headers=AUTH)) == "demo"
        # The exported copy of demo: served as copy, reported as the model it was exported from.
        assert _model(client.post("/v1/models/copy/predict", json=ROWS, headers=AUTH)) == "demo"
        v2 = client.post("/v2/models/wine/infer", json={"inputs": feature_tensors()}, headers=AUTH)
        assert v2.status_code == 200, v2.text
        assert v2.json()["model_name"] == "wine"
        for path in ("/invocations", "/invocations/wine", "/invocations/copy"):
            answered = client.post(path, json={"dataframe_records": ROWS["instances"]}, headers=AUTH)
            assert answered.status_code == 200, answered.text
            assert len(answered.json()["predictions"]) == 2
        assert client.get("/v2/models/copy/ready").json() == {"name": "copy", "ready": True}


def test_each_model_scores_with_its_own_booster(tmp_path: Path) -> None:
    container = several(tmp_path, with_ghost=False)
    register(container, "wine", seed=99)  # version 2 of wine, trained differently; wine follows it
    with serve(container) as client:
        demo = client.post("/v1/models/demo/predict", json=ROWS, headers=AUTH).json()
        copy = client.post("/v1/models/copy/predict", json=ROWS, headers=AUTH).json()
        wine = client.post("/v1/models/wine/predict", json=ROWS, headers=AUTH)
    assert demo["predictions"] == copy["predictions"]  # the export of demo@production
    assert wine.headers["X-Model-Version"] == "2"
    assert demo["model"]["version"] == "1"


def test_a_name_not_served_is_a_404_naming_the_served_models(tmp_path: Path) -> None:
    with serve(several(tmp_path, with_ghost=False)) as client:
        body = assert_problem(
            client.post("/v1/models/other/predict", json=ROWS, headers=AUTH), 404, "model-not-found"
        )
        assert body["detail"] == "this service serves model 'demo', 'wine', 'copy', not 'other'"
        assert_problem(client.post("/invocations/other", json=ROWS, headers=AUTH), 404, "model-not-found")
        assert_problem(
            client.post("/v1/models/other/explain", json=ROWS, headers=AUTH), 404, "model-not-found"
        )


def test_a_model_that_does_not_load_leaves_the_others_serving(tmp_path: Path) -> None:
    container = several(tmp_path)
    with serve(container) as client:
        assert _model(client.post("/v1/models/wine/predict", json=ROWS, headers=AUTH)) == "wine"
        assert _model(client.post("/predict", json=ROWS, headers=AUTH)) == "demo"
        body = assert_problem(
            client.post("/v1/models/ghost/predict", json=ROWS, headers=AUTH), 503, "model-unavailable"
        )
        assert "ghost" in body["detail"]

        # Readiness waits for every configured model; a key holder is told which one.
        keyless = assert_problem(client.get("/health/ready"), 503, "model-unavailable")
        assert keyless["detail"] == "1 of the configured models is not loaded yet"
        keyed = assert_problem(client.get("/health/ready", headers=AUTH), 503, "model-unavailable")
        assert "'ghost' (models:/ghost@production)" in keyed["detail"]
        assert client.get("/v2/health/ready").status_code == 503
        assert client.get("/v2/models/wine/ready").status_code == 200

        register(container, "ghost")  # its keeper retries, and loads it
        eventually(lambda: client.get("/health/ready").status_code == 200)
        ready = client.get("/health/ready", headers=AUTH).json()
    assert ready["model"]["name"] == "demo"
    assert {(m["name"], m["ready"], m["default"]) for m in ready["models"]} == {
        ("demo", True, True),
        ("wine", True, False),
        ("copy", True, False),
        ("ghost", True, False),
    }


def test_the_list_gives_each_models_state_and_memory(tmp_path: Path) -> None:
    with serve(several(tmp_path)) as client:
        listed = client.get("/v1/models/served", headers=AUTH)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["default"] == "demo"
    assert body["process_resident_bytes"] > 10**8
    models = {m["name"]: m for m in body["models"]}
    assert models["demo"]["model"] == "models:/demo@production"
    assert models["demo"]["reload_interval_s"] == 30.0
    assert models["copy"]["origin"] == "export"
    # Each load's growth: the reading after the runtime's load less the one before.
    assert {name: m["resident_bytes"] for name, m in models.items()} == {
        "demo": STEP,
        "wine": STEP,
        "copy": STEP,
        "ghost": None,  # never loaded
    }
    assert (models["ghost"]["ready"], models["ghost"]["version"]) == (False, None)


def test_the_one_model_of_old_is_served_and_listed_as_before(tmp_path: Path) -> None:
    from tests.unit.http.conftest import trained_container

    with serve(trained_container()) as client:
        ready = client.get("/health/ready", headers=AUTH).json()
        listed = client.get("/v1/models/served", headers=AUTH).json()
        named = client.post("/v1/models/demo/predict", json=ROWS, headers=AUTH)
    assert set(ready) == {"status", "model"}  # no list of models: one model, as before
    assert listed["default"] == "demo"
    assert [m["name"] for m in listed["models"]] == ["demo"]
    assert named.status_code == 200
    assert ModelRef.parse(listed["models"][0]["model"]) == ModelRef("demo", alias="production")
