"""docker-compose.yml holds what issue 16 promises: the four services and the aws profile, a
health check on each long-running one, the start-up conditions, one named network, named
volumes for the database and the artifacts, and a command and environment of its own on each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"
LONG_RUNNING = ("postgres", "mlflow", "api", "moto", "api-aws")
ONE_SHOT = ("trainer", "aws-setup", "trainer-aws")
BUILT = {"mlflow": "mlflow", "trainer": "train", "api": "api", "trainer-aws": "train", "api-aws": "api"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def test_the_services_and_the_aws_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {*LONG_RUNNING, *ONE_SHOT}
    in_aws = {name for name, service in services.items() if service.get("profiles")}
    assert in_aws == {"moto", "aws-setup", "trainer-aws", "api-aws"}
    assert all(services[name]["profiles"] == ["aws"] for name in in_aws)


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_each_long_running_service_has_a_health_check(compose: dict[str, Any], name: str) -> None:
    test = compose["services"][name]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert len(test) > 1


@pytest.mark.parametrize("name", [*LONG_RUNNING, *ONE_SHOT])
def test_each_service_says_what_it_runs(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["command"]
    assert service["environment"]
    assert service["networks"] == ["predictor"]


def test_images_are_pinned_and_builds_name_their_dockerfile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:17.")
    assert services["moto"]["image"] == services["aws-setup"]["image"] == "motoserver/moto:5.2.5"
    for name, image in BUILT.items():
        assert services[name]["build"]["context"] == "."
        assert services[name]["build"]["dockerfile"] == f"docker/{image}.Dockerfile"
        assert services[name]["entrypoint"] == []  # the compose file's command is all that runs
    assert (
        services["api"]["build"]["args"]
        == services["api-aws"]["build"]["args"]
        == {"INSTALL": "api-registry"}
    )


def test_start_up_waits_on_health_and_completion(compose: dict[str, Any]) -> None:
    conditions = {
        name: {needed: spec["condition"] for needed, spec in service.get("depends_on", {}).items()}
        for name, service in compose["services"].items()
    }
    assert conditions["mlflow"] == {"postgres": "service_healthy"}
    assert conditions["trainer"] == {"mlflow": "service_healthy"}
    assert conditions["api"] == {"mlflow": "service_healthy", "trainer": "service_completed_successfully"}
    assert conditions["aws-setup"] == {"moto": "service_healthy"}
    assert conditions["trainer-aws"] == {
        "mlflow": "service_healthy",
        "aws-setup": "service_completed_successfully",
    }
    assert conditions["api-aws"] == {
        "mlflow": "service_healthy",
        "trainer-aws": "service_completed_successfully",
    }


def test_one_named_network_and_named_volumes(compose: dict[str, Any]) -> None:
    assert compose["networks"] == {"predictor": {"name": "predictor"}}
    assert set(compose["volumes"]) == {"postgres-data", "mlflow-artifacts"}
    services = compose["services"]
    assert services["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    artifacts = services["mlflow"]["environment"]["PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION"]
    assert services["mlflow"]["volumes"] == ["mlflow-artifacts:/data"]
    assert artifacts.startswith("/data/")


def test_the_api_follows_the_production_alias_of_the_tracking_server(compose: dict[str, Any]) -> None:
    env = compose["services"]["api"]["environment"]
    assert env["PREDICTOR_MODEL_DIR"] == ""  # the image's /model export, cleared
    assert env["PREDICTOR_MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert (env["PREDICTOR_MODEL_NAME"], env["PREDICTOR_MODEL_ALIAS"]) == ("demo", "production")
    assert float(env["PREDICTOR_RELOAD_INTERVAL_S"]) <= 5
    assert env["PREDICTOR_API_KEYS"].startswith("${PREDICTOR_API_KEY:-")
    backend = compose["services"]["mlflow"]["environment"]["PREDICTOR_MLFLOW_BACKEND_STORE_URI"]
    assert "@postgres:5432/" in backend


def test_the_aws_profile_points_the_aws_path_at_moto(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api, trainer = services["api-aws"]["environment"], services["trainer-aws"]["environment"]
    for env in (api, trainer, services["aws-setup"]["environment"]):
        assert env["AWS_ENDPOINT_URL"] == "http://moto:5000"
    assert (api["PREDICTOR_SECRET_STORE"], api["PREDICTOR_KEYS_SECRET_ID"]) == ("aws", "predictor/api-keys")
    assert api["PREDICTOR_ALERTS"] == "sns"
    assert api["PREDICTOR_ALERTS_TOPIC_ARN"].endswith(":predictor-alerts")
    assert trainer["PREDICTOR_ARTIFACT_ROOT"].startswith("s3://predictor-models/")
    assert api["MLFLOW_S3_ENDPOINT_URL"] == trainer["MLFLOW_S3_ENDPOINT_URL"] == "http://moto:5000"
    assert "PREDICTOR_API_KEYS" not in api  # the keys come from Secrets Manager
