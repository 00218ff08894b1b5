"""The error table: each domain error maps to one status and problem type, subclasses included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from predictor.domain.errors import (
    ConfigurationError,
    DataError,
    Forbidden,
    InvalidInput,
    InvalidModel,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    NoEarlierVersion,
    PayloadTooLarge,
    PredictorError,
    Unauthorized,
)
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.errors import problem_for
from tests.unit.http.conftest import assert_problem, trained_container


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (InvalidInput([]), 400, "invalid-input"),
        (Unauthorized("no"), 401, "unauthorized"),
        (Forbidden("no"), 403, "forbidden"),
        (ModelNotFound("no"), 404, "model-not-found"),
        (ModelRefused("no"), 409, "model-refused"),
        (NoEarlierVersion("no"), 409, "no-earlier-version"),
        (PayloadTooLarge("big", limit=1, actual=2), 413, "payload-too-large"),
        (ModelUnavailable("later"), 503, "model-unavailable"),
    ],
)
def test_each_client_facing_domain_error_has_one_problem_type(
    error: PredictorError, status: int, slug: str
) -> None:
    problem = problem_for(error)
    assert problem is not None
    assert (problem.status, problem.uri) == (status, f"https://predictor.dev/problems/{slug}")


def test_a_subclass_maps_like_its_parent() -> None:
    class RegistryTimeout(ModelUnavailable):
        pass

    problem = problem_for(RegistryTimeout("slow"))
    assert problem is not None
    assert problem.status == 503


@pytest.mark.parametrize("error", [ConfigurationError("x"), DataError("x"), InvalidModel("x")])
def test_server_side_domain_errors_have_no_client_problem_type(error: PredictorError) -> None:
    assert problem_for(error) is None


def test_a_request_validation_error_is_a_400_problem_with_field_details() -> None:
    app = create_app(trained_container())

    @app.get("/echo")
    async def echo(n: int) -> dict[str, int]:
        return {"n": n}

    with TestClient(app) as client:
        response = client.get("/echo", params={"n": "many"})

    body = assert_problem(response, 400, "invalid-input")
    (error,) = body["errors"]
    assert (error["row"], error["field"]) == (None, "query.n")
