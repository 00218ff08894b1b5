"""tools/compose_local: reading a compose file (interpolation, profiles, order) and turning a
service into a local process (addresses, mounts, programs), on the project's docker-compose.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
from tools.compose_local.localize import addresses, localize
from tools.compose_local.spec import ComposeError, interpolate, load, services

COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"
EXTERNAL = {"postgres": "127.0.0.1:5432"}


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A:-x}", {"A": "y"}, "y"),
        ("$A/${B}", {"A": "1", "B": "2"}, "1/2"),
        ("$${A}", {"A": "1"}, "${A}"),
        ("${UNSET}", {}, ""),
    ],
)
def test_interpolation_follows_compose(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate(text, env) == expected


def test_services_come_in_dependency_order_and_profiles_choose() -> None:
    document = load(COMPOSE, {})
    plain = [one.name for one in services(document, set())]
    assert plain == ["postgres", "mlflow", "trainer", "api"]
    with_aws = [one.name for one in services(document, {"aws"})]
    assert set(with_aws) == {*plain, "moto", "aws-setup", "trainer-aws", "api-aws"}
    for later, earlier in [("api-aws", "trainer-aws"), ("trainer-aws", "aws-setup"), ("aws-setup", "moto")]:
        assert with_aws.index(earlier) < with_aws.index(later)


def test_a_dependency_outside_the_chosen_profiles_is_an_error() -> None:
    document = {"services": {"a": {"command": "x", "depends_on": ["b"]}, "b": {"profiles": ["p"]}}}
    with pytest.raises(ComposeError, match="a depends on b"):
        services(document, set())


def test_a_service_becomes_a_local_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_MODEL_NAME", "not-for-the-services")
    env = {"POSTGRES_USER": "postgres", "POSTGRES_DB": "scratch", "MLFLOW_PORT": "15000", "API_PORT": "18000"}
    chosen = services(load(COMPOSE, env), set())
    where = addresses(chosen, EXTERNAL)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "predictor").touch()
    local = {one.name: localize(one, where, tmp_path, bin_dir) for one in chosen}
    mlflow = local["mlflow"]
    assert mlflow.argv == (str(bin_dir / "predictor"), "mlflow-server", "--host", "127.0.0.1", "--port",
                           "15000", "--workers", "1")  # fmt: skip
    assert mlflow.environment["PREDICTOR_MLFLOW_BACKEND_STORE_URI"] == (
        "postgresql://postgres:mlflow@127.0.0.1:5432/scratch"
    )
    artifacts = Path(mlflow.environment["PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION"])
    assert artifacts == tmp_path / "volumes" / "mlflow-artifacts" / "artifacts"
    assert artifacts.parent.is_dir()
    assert mlflow.environment["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")[0] == "127.0.0.1:15000"
    assert mlflow.healthcheck is not None
    assert "http://127.0.0.1:15000/health" in mlflow.healthcheck[-1]
    api = local["api"]
    assert api.environment["PREDICTOR_MLFLOW_TRACKING_URI"] == "http://127.0.0.1:15000"
    tmp = tmp_path / "tmpfs" / "api" / "tmp"
    assert api.environment["PREDICTOR_CACHE_DIR"] == str(tmp / "predictor" / "cache")
    assert api.environment["TMPDIR"] == str(tmp)
    assert api.addresses == {8000: "127.0.0.1:18000"}
    trainer = local["trainer"].environment
    assert "PREDICTOR_MODEL_NAME" not in trainer  # a container inherits nothing of this shell's
    assert trainer["PATH"]


def test_an_external_service_needs_a_port() -> None:
    chosen = services({"services": {"db": {"command": "x"}}}, set())
    with pytest.raises(ComposeError, match="declares no port"):
        addresses(chosen, {"db": "127.0.0.1:5432"})
