"""The prod profile's tracking server, for real: `predictor mlflow-server` as a subprocess with a
SQLite or a PostgreSQL backend (a database of its own on 127.0.0.1:5432, dropped afterwards)
and S3 artifacts on moto's server on loopback. Clients only know the server's URL: they train,
register, promote, roll back, list and export through it, and the export serves on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
from psycopg import sql
from sklearn.datasets import load_breast_cancer

from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.domain.model import ModelRef
from tests.aws import moto_server
from tests.servers import TrackingServer, clean_env, free_port, run_cli, running, tracking_server

pytestmark = pytest.mark.integration

BUCKET = "predictor-artifacts"
API_KEY = "export-client-key-0123456789"
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
NO_MLFLOW = """
import json, sys
from fastapi.testclient import TestClient
from predictor.config import load_settings
from predictor.container import build_container
from predictor.entrypoints.http.app import create_app

with TestClient(create_app(build_container(load_settings(model_dir=sys.argv[1])))) as client:
    ready = client.get("/health/ready", headers={"X-API-Key": sys.argv[2]})
print(json.dumps({"ready": ready.status_code, "version": ready.headers.get("X-Model-Version"),
                  "mlflow": sorted(m for m in sys.modules if m.split(".")[0] == "mlflow")}))
"""


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """moto's S3 on a loopback port, with one bucket; the environment that reaches it."""
    with moto_server(BUCKET) as url:
        yield {**AWS, "MLFLOW_S3_ENDPOINT_URL": url}


def bucket_client(env: dict[str, str]):  # type: ignore[no-untyped-def]  # boto3 ships no types
    return boto3.client(
        "s3",
        endpoint_url=env["MLFLOW_S3_ENDPOINT_URL"],
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS["AWS_DEFAULT_REGION"],
    )


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A database of our own on the local PostgreSQL; dropped at the end."""
    name = f"predictor_it_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class Store:
    kind: str
    server: TrackingServer
    env: dict[str, str]  # a client's: the server's URL and nothing else
    prefix: str  # where the artifacts go in the bucket
    workdir: Path
    s3: dict[str, str]  # the server's S3 settings; clients never get them

    def cli(self, *args: str) -> tuple[int, str, str]:
        result = run_cli(list(args), self.env, self.workdir)
        return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, s3: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A prod-profile tracking server on the backend, with demo 1 (trained through it, in
    production) and demo 2 (the same model registered again)."""
    kind = request.param
    workdir = tmp_path_factory.mktemp(kind)
    backend = (
        request.getfixturevalue("postgres") if kind == "postgresql" else f"sqlite:///{workdir / 'mlflow.db'}"
    )
    prefix = f"mlflow-{kind}"
    server_env = {
        **clean_env(),
        **s3,
        "PREDICTOR_PROFILE": "prod",
        "PREDICTOR_MLFLOW_BACKEND_STORE_URI": backend,
        "PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION": f"s3://{BUCKET}/{prefix}",
    }
    with tracking_server(workdir, server_env) as server:
        env = {**clean_env(), "PREDICTOR_MLFLOW_TRACKING_URI": server.url, "PREDICTOR_PROFILE": "test"}
        trained = run_cli(
            ["train", "--dataset", "breast-cancer", "--register", "demo", "--promote", "production"],
            env,
            workdir,
        )
        assert trained.returncode == 0, trained.stderr
        registry = MlflowModelRegistry(server.url)
        first = registry.resolve(ModelRef("demo", version="1"))
        assert registry.register("demo", first.source, first.run_id, {}).version == "2"
        yield Store(kind, server, env, prefix, workdir, s3)


def test_promote_list_and_roll_back_through_the_server(store: Store) -> None:
    code, out, err = store.cli(
        "promote", "demo", "--version", "2", "--stage", "Production", "--reason", "recall"
    )
    assert code == 0, err
    assert "--stage Production moves the alias 'production'" in out
    assert "models:/demo@production: 1 -> 2" in out

    code, out, err = store.cli("models", "show", "demo", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["aliases"] == {"production": "2"}
    assert shown["history"] == {"production": ["1"]}
    newest = shown["versions"][0]
    assert (newest["version"], newest["aliases"]) == ("2", ["production"])
    assert newest["tags"]["predictor.alias.production.reason"] == "recall"
    assert newest["tags"]["predictor.alias.production.previous"] == "1"
    assert newest["run_id"]
    assert newest["created_at"]
    assert newest["metrics"]["test_roc_auc"] > 0.9

    code, out, err = store.cli("rollback", "demo")
    assert code == 0, err
    assert "models:/demo@production: 2 -> 1" in out

    code, out, err = store.cli("rollback", "demo")
    assert code == 6
    assert err.strip().splitlines()[-1].startswith("error: models:/demo@production has no earlier version")
    assert "Traceback" not in err

    code, out, err = store.cli("models", "list")
    assert code == 0, err
    assert "demo  (aliases: production -> 1)" in out
    assert out.count(" run ") == 2  # both versions, each with its run id


def test_artifacts_land_in_the_bucket_not_on_the_client(store: Store) -> None:
    listed = bucket_client(store.s3).list_objects_v2(Bucket=BUCKET, Prefix=f"{store.prefix}/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    for name in ("model/model.ubj", "model/manifest.json", "model/MLmodel"):
        assert any(key.endswith(name) for key in keys), keys
    assert not (store.workdir / "mlartifacts").exists()


def test_an_export_is_a_self_contained_model_directory(store: Store, tmp_path: Path) -> None:
    target = export(store, tmp_path)
    record = json.loads((target / "version.json").read_text())
    served = MlflowModelRegistry(store.server.url).resolve(ModelRef("demo", alias="production")).version
    assert (record["name"], record["version"], record["ref"]) == ("demo", served, "models:/demo@production")
    assert record["run_id"]
    assert record["created_at"]
    assert record["aliases"] == ["production"]
    assert {"model.ubj", "manifest.json", "MLmodel", "input_example.json"} <= {
        p.name for p in target.iterdir()
    }


def export(store: Store, root: Path) -> Path:
    target = root / "model"
    code, _, err = store.cli("export", "models:/demo@production", str(target))
    assert code == 0, err
    return target


# Serving an export involves no backend: once is enough.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_an_export_serves_without_any_registry_or_mlflow(store: Store, tmp_path: Path) -> None:
    target = export(store, tmp_path)
    record = json.loads((target / "version.json").read_text())
    served = record["version"]
    bare = {**clean_env(), "PREDICTOR_API_KEYS": API_KEY, "PREDICTOR_PROFILE": "test"}  # no registry at all
    port = free_port()
    with running(["serve", "--model-dir", str(target), "--port", str(port)], bare, tmp_path, port) as (
        url,
        _,
    ):
        data = load_breast_cancer()
        row = dict(zip(data.feature_names, map(float, data.data[0]), strict=True))
        answer = httpx.post(
            f"{url}/predict", json={"instances": [row]}, headers={"X-API-Key": API_KEY}, timeout=30
        )
        versions = httpx.get(f"{url}/v1/models", headers={"X-API-Key": API_KEY}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Model-Version"] == served
    assert answer.json()["model"] == {
        "name": "demo",
        "version": served,
        "alias": "production",
        "run_id": record["run_id"],
    }
    assert [v["version"] for v in versions.json()["versions"]] == [served]

    checked = subprocess.run(
        [sys.executable, "-c", NO_MLFLOW, str(target), API_KEY],
        env=bare,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    assert report == {"ready": 200, "version": served, "mlflow": []}
