"""Properties: whatever a client sends to /predict (lone surrogates and NUL bytes included), the
answer is a 200 or a 4xx problem, never a 500."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.http.conftest import AUTH, PROBLEM_JSON, serve, trained_container

FEATURES = ("x1", "x2", "colour")

# Text no well-behaved client sends: lone surrogates (not Unicode text, though JSON's \u escapes
# can spell them, and json.dumps does) and NUL bytes, inside ordinary text. Two surrogates in a
# row may pair up into one valid character, so ``with_surrogate`` holds exactly one.
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
with_surrogate = st.tuples(st.text(max_size=4), surrogates, st.text(max_size=4)).map("".join)
with_nul = st.tuples(st.text(max_size=4), st.text(st.just("\x00"), min_size=1, max_size=2)).map("".join)
awkward_text = with_surrogate | with_nul | st.text(surrogates, min_size=1, max_size=3)
texts = st.text(max_size=12) | awkward_text

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | texts
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)
# Rows that are nearly right: the model's features (some missing) plus stray keys, any values.
near_rows = st.dictionaries(
    st.sampled_from([*FEATURES, "extra", ""]) | awkward_text,
    json_values | st.sampled_from(["red", "blue", "purple"]) | awkward_text,
    max_size=5,
)
bodies = (
    json_values
    | st.fixed_dictionaries({"instances": st.lists(near_rows | json_values, max_size=6)})
    | st.fixed_dictionaries({"instances": st.lists(near_rows, max_size=6)}, optional={"extra": json_values})
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serve(trained_container(max_rows=5)) as client:
        yield client


def post(client: TestClient, body: bytes) -> Any:
    return client.post("/predict", content=body, headers={**AUTH, "Content-Type": "application/json"})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_any_json_body_is_answered_with_a_prediction_or_a_client_problem(
    client: TestClient, body: Any
) -> None:
    # The standard library writes NaN and Infinity as bare tokens, as a careless client would,
    # and lone surrogates as \\ud800 escapes (ensure_ascii), as a hostile one would.
    response = post(client, json.dumps(body, ensure_ascii=True).encode())

    if response.status_code == 200:
        predictions = response.json()["predictions"]
        assert len(predictions) == len(body["instances"])
        assert all(math.isclose(sum(p["probabilities"].values()), 1.0) for p in predictions)
    else:
        assert response.status_code in {400, 413}, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        assert problem["request_id"] == response.headers["X-Request-ID"]
        if response.status_code == 400:
            assert problem["errors"], problem
            assert all(e["row"] is None or isinstance(e["row"], int) for e in problem["errors"])


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=64))
def test_any_bytes_are_answered_with_a_prediction_or_a_client_problem(
    client: TestClient, body: bytes
) -> None:
    response = post(client, body)
    assert response.status_code in {200, 400, 413}, response.text


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(["x1", "x2", "colour"]), surrogate=with_surrogate, as_key=st.booleans())
def test_a_lone_surrogate_anywhere_is_a_400_naming_where(
    client: TestClient, key: str, surrogate: str, as_key: bool
) -> None:
    row: dict[str, Any] = {"x1": 0.5, "x2": -0.25, "colour": "red"}
    if as_key:
        row[surrogate] = row.pop(key)
    else:
        row[key] = surrogate
    response = post(client, json.dumps({"instances": [row]}, ensure_ascii=True).encode())

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    (error,) = response.json()["errors"]
    assert error["field"].startswith("instances[0]")
    assert "surrogate" in error["message"]
