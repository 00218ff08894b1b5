"""`predictor serve` in each profile, driven down every error path a client can reach (and a 500
from a runtime that fails): the API keys' bytes appear nowhere in what the server writes."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import xgboost
from sklearn.datasets import load_wine

from tests.servers import free_port, local_env, run_cli, running

pytestmark = pytest.mark.integration

API_KEY = "leak-canary-client-4f1d9a7c2b"
ADMIN_KEY = "leak-canary-admin-8e3b6d0f5a"
NEAR_MISS = API_KEY[:-1] + "X"
SECRETS = (API_KEY, ADMIN_KEY, NEAR_MISS)


@pytest.fixture(scope="module")
def failing_explainer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported wine model whose booster predicts but cannot explain: XGBoost has no TreeSHAP
    for multi-output trees, so /v1/explain fails inside libxgboost (a 500)."""
    workdir = tmp_path_factory.mktemp("leak")
    env = local_env(workdir)
    trained = run_cli(
        ["train", "--dataset", "wine", "--register", "wine", "--promote", "production"], env, workdir
    )
    assert trained.returncode == 0, trained.stderr
    exported = run_cli(["export", "models:/wine@production", str(workdir / "model")], env, workdir)
    assert exported.returncode == 0, exported.stderr
    features, labels = load_wine(return_X_y=True)
    booster = xgboost.train(
        {
            "objective": "multi:softprob",
            "num_class": 3,
            "tree_method": "hist",
            "multi_strategy": "multi_output_tree",
        },
        xgboost.DMatrix(features.astype(np.float32), labels),
        num_boost_round=3,
    )
    booster.save_model(str(workdir / "model" / "model.ubj"))
    return workdir / "model"


def a_row(model_dir: Path) -> dict[str, object]:
    example = json.loads((model_dir / "input_example.json").read_text())  # MLflow's split form
    return dict(zip(example["columns"], example["data"][0], strict=True))


def raw_exchange(port: int, payload: bytes, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        if not read:
            return b""
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def drive_every_error_path(base: str, port: int, row: dict[str, object]) -> dict[str, int]:
    key = {"X-API-Key": API_KEY}
    basic = base64.b64encode(f"user:{API_KEY}".encode()).decode()
    seen: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=10) as client:

        def record(name: str, response: httpx.Response) -> None:
            seen[name] = response.status_code

        record("predict", client.post("/predict", json={"instances": [row]}, headers=key))
        record("ready with key", client.get("/health/ready", headers=key))
        record(
            "bearer",
            client.post(
                "/predict", json={"instances": [row]}, headers={"Authorization": f"Bearer {API_KEY}"}
            ),
        )
        record(
            "basic",
            client.post("/predict", json={"instances": [row]}, headers={"Authorization": f"Basic {basic}"}),
        )
        record(
            "key in query", client.post(f"/predict?api_key={API_KEY}", json={"instances": [row]}, headers=key)
        )
        record(
            "near miss", client.post("/predict", json={"instances": [row]}, headers={"X-API-Key": NEAR_MISS})
        )
        record("invalid rows", client.post("/predict", json={"instances": [{"x": 1}]}, headers=key))
        record(
            "not json",
            client.post("/predict", content=b"{", headers={**key, "Content-Type": "application/json"}),
        )
        record(
            "lone surrogate",
            client.post(
                "/predict",
                content=b'{"instances": [{"\\ud800": 1}]}',
                headers={**key, "Content-Type": "application/json"},
            ),
        )
        record(
            "wrong type", client.post("/predict", content=b"x", headers={**key, "Content-Type": "text/plain"})
        )
        record(
            "csv",
            client.post("/invocations", content=b"a,b\n1,2\n", headers={**key, "Content-Type": "text/csv"}),
        )
        record("v2", client.post("/v2/models/wine/infer", json={"inputs": [{"name": "x"}]}, headers=key))
        record("explain 500", client.post("/v1/explain", json={"instances": [row]}, headers=key))
        record("admin with client key", client.post("/v1/models/reload", headers=key))
        record("admin", client.post("/v1/models/reload", headers={"X-API-Key": ADMIN_KEY}))
        record("not found", client.get(f"/{API_KEY}", headers=key))
        record("method", client.get("/predict", headers=key))
        for _ in range(25):  # past the failed-authentication burst
            last = client.get("/v1/models", headers={"X-API-Key": NEAR_MISS})
        record("braked", last)
    head = f"POST /predict HTTP/1.1\r\nHost: x\r\nX-API-Key: {API_KEY}\r\nAuthorization: Bearer {API_KEY}\r\n"
    raw_exchange(
        port,
        f'{head}Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{"inst'.encode(),
        read=False,
    )
    seen["too large"] = int(raw_exchange(port, f"{head}Content-Length: 99999999\r\n\r\n".encode())[9:12])
    seen["garbage"] = int(raw_exchange(port, f"{head}Content-Length: nope\r\n\r\n".encode())[9:12])
    return seen


@pytest.fixture(params=["dev", "prod"])
def served(
    request: pytest.FixtureRequest, failing_explainer: Path, tmp_path: Path
) -> Iterator[tuple[str, int, Path]]:
    env = local_env(
        tmp_path,
        PREDICTOR_PROFILE=request.param,
        PREDICTOR_API_KEYS=API_KEY,
        PREDICTOR_ADMIN_API_KEYS=ADMIN_KEY,
        PREDICTOR_LOG_LEVEL="DEBUG",
    )
    port = free_port()
    with running(
        ["serve", "--port", str(port), "--model-dir", str(failing_explainer)], env, tmp_path, port
    ) as (
        base,
        log,
    ):
        yield base, port, log


def test_no_key_reaches_the_log_down_any_error_path(
    served: tuple[str, int, Path], failing_explainer: Path
) -> None:
    base, port, log_path = served
    seen = drive_every_error_path(base, port, a_row(failing_explainer))
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/health/live").status_code == 200  # all requests done and logged

    assert seen["predict"] == 200
    assert seen["explain 500"] == 500
    assert seen["braked"] == 429
    assert (seen["bearer"], seen["basic"]) == (200, 200)
    assert {seen[name] for name in ("key in query", "near miss")} == {401}
    assert (seen["too large"], seen["garbage"]) == (413, 400)
    logged = log_path.read_bytes()
    assert b"Traceback" in logged or b'"exception"' in logged  # the 500 was logged with its trace
    for secret in SECRETS:
        for form in (secret.encode(), base64.b64encode(f"user:{secret}".encode())):
            assert form not in logged, f"{form!r} is in the server log"
