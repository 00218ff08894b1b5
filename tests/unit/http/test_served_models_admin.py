"""Models added and removed at run time (admin key), in memory only; and client keys scoped to
models (PREDICTOR_API_KEY_MODELS): 403 on any other."""

from __future__ import annotations

from pathlib import Path

from predictor.config import load_settings
from predictor.services.serving.auth import key_id
from tests.unit.http.conftest import AUTH, assert_problem, row, serve
from tests.unit.http.several import ADMIN, SCOPED, SCOPED_KEY, eventually, register, several

ROWS = {"instances": [row()]}
SERVED = "/v1/models/served"


def test_an_added_model_serves_until_it_is_removed(tmp_path: Path) -> None:
    container = several(tmp_path, with_ghost=False)
    register(container, "cider")
    with serve(container) as client:
        added = client.post(SERVED, json={"name": "cider", "model": "cider@production"}, headers=ADMIN)
        assert added.status_code == 201, added.text
        assert added.json() == {
            "name": "cider",
            "model": "models:/cider@production",
            "reload_interval_s": 30.0,
            "loaded": True,
            "version": "1",
        }
        assert (
            client.post("/v1/models/cider/predict", json=ROWS, headers=AUTH).json()["model"]["name"]
            == "cider"
        )
        listed = client.get(SERVED, headers=AUTH).json()["models"]
        assert [(m["name"], m["configured"]) for m in listed][-1] == ("cider", False)

        removed = client.delete(f"{SERVED}/cider", headers=ADMIN)
        assert removed.status_code == 200, removed.text
        assert removed.json() == {"name": "cider", "removed": True}
        assert_problem(
            client.post("/v1/models/cider/predict", json=ROWS, headers=AUTH), 404, "model-not-found"
        )
        # The others were never touched.
        assert client.post("/v1/models/wine/predict", json=ROWS, headers=AUTH).status_code == 200
    # In memory only: the configured set is what a new process serves.
    with serve(several(tmp_path / "again", with_ghost=False)) as client:
        assert [m["name"] for m in client.get(SERVED, headers=AUTH).json()["models"]] == [
            "demo",
            "wine",
            "copy",
        ]


def test_a_model_that_cannot_load_yet_is_added_and_retried(tmp_path: Path) -> None:
    container = several(tmp_path, with_ghost=False)
    register(container, "cider")
    registry = container.adapters.registry()
    with serve(container) as client:
        registry.offline = True
        added = client.post(SERVED, json={"name": "cider", "model": "cider@production"}, headers=ADMIN)
        assert added.status_code == 202, added.text
        assert (added.json()["loaded"], added.json()["version"]) == (False, None)
        assert_problem(
            client.post("/v1/models/cider/predict", json=ROWS, headers=AUTH), 503, "model-unavailable"
        )
        assert client.get("/health/ready").status_code == 200  # an added model does not hold readiness
        registry.offline = False
        eventually(
            lambda: client.post("/v1/models/cider/predict", json=ROWS, headers=AUTH).status_code == 200
        )


def test_the_default_model_cannot_be_removed(tmp_path: Path) -> None:
    with serve(several(tmp_path, with_ghost=False)) as client:
        body = assert_problem(client.delete(f"{SERVED}/demo", headers=ADMIN), 409, "model-conflict")
        assert "default model" in body["detail"]
        assert_problem(client.delete(f"{SERVED}/other", headers=ADMIN), 404, "model-not-found")
        assert client.post("/predict", json=ROWS, headers=AUTH).status_code == 200


def test_bad_entries_are_refused_with_the_field_at_fault(tmp_path: Path) -> None:
    with serve(several(tmp_path, with_ghost=False)) as client:
        body = assert_problem(
            client.post(SERVED, json={"name": "a b", "model": "", "reload_interval_s": -1}, headers=ADMIN),
            400,
            "invalid-input",
        )
        assert {error["field"] for error in body["errors"]} == {"name", "model", "reload_interval_s"}
        taken = client.post(SERVED, json={"name": "wine", "model": "demo@production"}, headers=ADMIN)
        assert "served already" in assert_problem(taken, 409, "model-conflict")["detail"]
        missing = client.post(SERVED, json={"name": "nope", "model": "nope@production"}, headers=ADMIN)
        assert_problem(missing, 404, "model-not-found")
        not_exported = client.post(SERVED, json={"name": "dir", "model": str(tmp_path)}, headers=ADMIN)
        assert (
            "not a directory written by `predictor export`"
            in assert_problem(not_exported, 404, "model-not-found")["detail"]
        )
        # Nothing was added by any of these.
        assert [m["name"] for m in client.get(SERVED, headers=AUTH).json()["models"]] == [
            "demo",
            "wine",
            "copy",
        ]
        # A client key is not enough.
        forbidden = client.post(SERVED, json={"name": "cider", "model": "demo@production"}, headers=AUTH)
        assert_problem(forbidden, 403, "forbidden")


def test_a_key_scoped_to_a_model_gets_403_on_the_others(tmp_path: Path) -> None:
    scopes = f"{key_id(SCOPED_KEY)}=demo+copy"
    assert load_settings(api_key_models=scopes).security.key_scopes  # the form docs/models.md gives
    with serve(several(tmp_path, with_ghost=False, api_key_models=scopes)) as client:
        assert client.post("/v1/models/demo/predict", json=ROWS, headers=SCOPED).status_code == 200
        assert client.post("/predict", json=ROWS, headers=SCOPED).status_code == 200  # the default: demo
        assert client.post("/invocations/copy", json=ROWS, headers=SCOPED).status_code == 200
        for method, path in [
            ("POST", "/v1/models/wine/predict"),
            ("POST", "/v1/models/wine/explain"),
            ("POST", "/invocations/wine"),
            ("POST", "/v2/models/wine/infer"),
            ("GET", "/v2/models/wine"),
            ("POST", "/v1/models/other/predict"),  # a name not served: 403 too, naming nothing more
        ]:
            body = assert_problem(client.request(method, path, json=ROWS, headers=SCOPED), 403, "forbidden")
            assert "may use model 'copy', 'demo' only" in body["detail"]
        listed = client.get(SERVED, headers=SCOPED).json()["models"]
        assert [m["name"] for m in listed] == ["demo", "copy"]
        eventually(lambda: client.get("/health/ready").status_code == 200)
        ready = client.get("/health/ready", headers=SCOPED).json()
        assert [m["name"] for m in ready["models"]] == ["demo", "copy"]  # the key's models only
        # An unscoped key keeps today's meaning: every model.
        assert client.post("/v1/models/wine/predict", json=ROWS, headers=AUTH).status_code == 200


def test_a_key_scoped_away_from_the_default_model_cannot_use_the_default_routes(tmp_path: Path) -> None:
    scopes = f"{key_id(SCOPED_KEY)}=wine"
    with serve(several(tmp_path, with_ghost=False, api_key_models=scopes)) as client:
        for path in ("/predict", "/v1/predict", "/invocations", "/v1/explain"):
            assert_problem(client.post(path, json=ROWS, headers=SCOPED), 403, "forbidden")
        assert_problem(client.get("/v1/models/current", headers=SCOPED), 403, "forbidden")
        assert client.post("/v1/models/wine/predict", json=ROWS, headers=SCOPED).status_code == 200
        eventually(lambda: client.get("/health/ready").status_code == 200)
        ready = client.get("/health/ready", headers=SCOPED).json()
        assert (ready["model"], [m["name"] for m in ready["models"]]) == (None, ["wine"])
