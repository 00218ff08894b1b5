"""Train on the real bundled data into a temporary SQLite MLflow store, serve it with
`predictor serve` on a free loopback port, and check the HTTP prediction equals the booster's."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
import xgboost
from sklearn.datasets import load_breast_cancer

from tests.servers import free_port, local_env, run_cli, running

API_KEY = "integration-key-0123456789"
pytestmark = pytest.mark.integration


def test_trained_registered_and_served_model_answers_like_its_booster(tmp_path: Path) -> None:
    env = local_env(tmp_path, PREDICTOR_API_KEYS=API_KEY)
    trained = run_cli(
        ["train", "--dataset", "breast-cancer", "--register", "demo", "--promote", "production"],
        env,
        tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    assert "registered demo version 1" in trained.stdout
    assert "alias production -> demo/1" in trained.stdout

    port = free_port()
    with running(["serve", "--port", str(port)], env, tmp_path, port) as (base_url, _):
        data = load_breast_cancer()
        rows = data.data[:25]
        body = {"instances": [dict(zip(data.feature_names, map(float, row), strict=True)) for row in rows]}
        response = httpx.post(f"{base_url}/predict", json=body, headers={"X-API-Key": API_KEY}, timeout=30)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["model"]["name"] == "demo"
        assert answer["model"]["version"] == "1"
        assert answer["model"]["alias"] == "production"
        assert response.headers["X-Model-Version"] == "1"
        assert response.headers["X-Request-ID"] == answer["request_id"]

        (booster_file,) = (tmp_path / "cache").rglob("model.ubj")
        booster = xgboost.Booster(model_file=str(booster_file))
        expected = booster.predict(xgboost.DMatrix(rows.astype(np.float32), feature_names=None))
        served = [p["probabilities"]["benign"] for p in answer["predictions"]]
        np.testing.assert_allclose(served, expected, rtol=0, atol=1e-6)
        labels = [p["label"] for p in answer["predictions"]]
        assert labels == ["benign" if p >= 0.5 else "malignant" for p in expected]

        unauthorised = httpx.post(f"{base_url}/predict", json=body, timeout=30)
        assert unauthorised.status_code == 401
        assert unauthorised.headers["content-type"].startswith("application/problem+json")
