"""The OpenAPI document: it resolves, documents what the service answers (problem+json, 401 and
429 where a key is read, HEAD on the health routes, no 422, no phantom parameter), describes
the served model's requests, and follows a hot reload. The health routes answer HEAD."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from predictor.domain.encoding.values import FLOAT32_MAX
from predictor.domain.schema import TaskType
from predictor.entrypoints.http.app import create_app
from tests.unit.builders import memory_container
from tests.unit.http.conftest import AUTH, PROBLEM_JSON, serve, trained_container, with_keys
from tests.unit.variants import PRODUCTION, register_variant, registry_of, renamed

Document = dict[str, Any]
HEALTH = ("/health/live", "/health/ready", "/ping", "/health", "/v2/health/live", "/v2/health/ready")
KEYED = [
    ("post", "/predict"),
    ("post", "/v1/predict"),
    ("post", "/v1/explain"),
    ("post", "/invocations"),
    ("get", "/v2"),
    ("get", "/v2/models/{name}"),
    ("get", "/v2/models/{name}/versions/{version}"),
    ("post", "/v2/models/{name}/infer"),
    ("post", "/v2/models/{name}/versions/{version}/infer"),
    ("get", "/v1/models/current"),
    ("get", "/v1/models"),
]
PREDICTION_BODIES = ["/predict", "/v1/predict", "/v1/explain", "/invocations", "/v2/models/{name}/infer"]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serve(trained_container()) as client:
        yield client


@pytest.fixture(scope="module")
def document(client: TestClient) -> Document:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: Document = response.json()
    return body


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def refs(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def resolve(document: Document, ref: str) -> object:
    assert ref.startswith("#/"), ref
    target: object = document
    for escaped in ref[2:].split("/"):
        part = escaped.replace("~1", "/").replace("~0", "~")
        assert isinstance(target, dict), f"{ref} does not resolve"
        assert part in target, f"{ref} does not resolve"
        target = target[part]
    return target


def body_schema(document: Document, path: str, media: str = "application/json") -> Document:
    """The route's request body schema: a component, named by the route (it reads raw bytes)."""
    ref = document["paths"][path]["post"]["requestBody"]["content"][media]["schema"]["$ref"]
    schema = resolve(document, ref)
    assert isinstance(schema, dict)
    return schema


def test_every_ref_resolves_within_the_document(document: Document) -> None:
    found = set(refs(document))
    assert "#/components/schemas/Problem" in found
    for ref in found:
        resolve(document, ref)
    assert "$defs" not in str(document)


def schemas_in(document: Document) -> Iterator[tuple[str, Document]]:
    yield from document["components"]["schemas"].items()
    for path, method, operation in operations(document):
        for media, described in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{method} {path} {media}", described["schema"]


@pytest.mark.parametrize("served", [True, False], ids=["served model", "before a model loads"])
def test_every_schema_is_valid_json_schema(document: Document, served: bool) -> None:
    if not served:
        document = create_app(trained_container()).openapi()
    for where, schema in schemas_in(document):
        rooted = {**schema, "components": document["components"]}  # where its $refs point
        assert jsonschema_rs.meta.is_valid(rooted), where
        jsonschema_rs.validator_for(rooted)  # its references resolve, its patterns compile


def test_every_error_is_documented_as_a_problem_json_problem(document: Document) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            expected = (
                {}
                if method == "head"
                else {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
            )
            assert response.get("content", {}) == expected, (method, path, status)


def test_no_route_documents_a_422_or_a_query_parameter(document: Document) -> None:
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])
    for path, method, operation in operations(document):
        assert "422" not in operation["responses"], (method, path)
        parameters = operation.get("parameters", [])
        assert {p["in"] for p in parameters} <= {"path"}, (method, path)
        assert sorted(p["name"] for p in parameters) == sorted(re.findall(r"{(\w+)}", path)), (method, path)


def test_the_v2_path_names_the_served_model_and_version(document: Document) -> None:
    parameters = {
        p["name"]: p["schema"]
        for p in document["paths"]["/v2/models/{name}/versions/{version}"]["get"]["parameters"]
    }
    assert parameters["name"]["enum"] == ["demo"]
    assert parameters["version"]["enum"] == ["1"]


@pytest.mark.parametrize(("method", "path"), KEYED)
def test_every_keyed_route_declares_the_key_and_answers_401_and_429(
    document: Document, method: str, path: str
) -> None:
    operation = document["paths"][path][method]
    assert operation["security"] == [{"ApiKey": []}]
    assert {"401", "429"} <= set(operation["responses"])
    assert operation["responses"]["401"]["headers"]["WWW-Authenticate"] == {
        "$ref": "#/components/headers/WWW-Authenticate"
    }
    assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_admin_route_needs_the_admin_key(document: Document) -> None:
    operation = document["paths"]["/v1/models/reload"]["post"]
    assert operation["security"] == [{"AdminApiKey": []}]
    assert {"401", "403", "429"} <= set(operation["responses"])


def test_version_is_open_plain_text_as_mlflows(document: Document) -> None:
    operation = document["paths"]["/version"]["get"]
    assert operation["responses"]["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert "security" not in operation
    assert "401" not in operation["responses"]


def test_readiness_takes_a_key_or_none_and_names_the_model_only_with_one(document: Document) -> None:
    for path in ("/health/ready", "/ping", "/health"):
        operation = document["paths"][path]["get"]
        assert operation["security"] == [{}, {"ApiKey": []}]
        assert {"401", "429", "503"} <= set(operation["responses"])
    readiness = document["components"]["schemas"]["Readiness"]
    assert readiness["required"] == ["status"]
    assert "model" in readiness["properties"]


@pytest.mark.parametrize("path", HEALTH)
def test_the_health_routes_document_head_without_a_body(document: Document, path: str) -> None:
    head = document["paths"][path]["head"]
    assert head["responses"]["200"].get("content") is None
    assert all("content" not in response for response in head["responses"].values())
    assert head["operationId"] != document["paths"][path]["get"]["operationId"]


def test_every_answer_carries_the_request_id(document: Document) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            assert response["headers"]["X-Request-ID"] == {"$ref": "#/components/headers/X-Request-ID"}, (
                method,
                path,
                status,
            )
            if status == "503":
                assert "Retry-After" in response["headers"]


def test_lists_of_rows_and_tensors_are_never_empty(document: Document) -> None:
    instances = body_schema(document, "/predict")["properties"]["instances"]
    assert (instances["minItems"], instances["maxItems"]) == (1, 10_000)
    assert body_schema(document, "/v1/explain")["properties"]["instances"]["minItems"] == 1
    formats = {
        branch["required"][0]: branch["properties"]
        for branch in body_schema(document, "/invocations")["oneOf"]
    }
    assert formats["dataframe_split"]["dataframe_split"]["properties"]["data"]["minItems"] == 1
    assert formats["dataframe_records"]["dataframe_records"]["minItems"] == 1
    for name in ("instances", "inputs"):
        assert all(shape.get("minItems", 1) >= 1 for shape in formats[name][name]["anyOf"])
    tensors = body_schema(document, "/v2/models/{name}/infer")["properties"]["inputs"]["anyOf"]
    assert all(form["minItems"] >= 1 for form in tensors)
    per_feature = tensors[0]["prefixItems"]
    assert all(tensor["properties"]["data"]["minItems"] == 1 for tensor in per_feature)


def test_a_row_is_every_feature_of_the_served_model_and_nothing_else(document: Document) -> None:
    row = body_schema(document, "/predict")["properties"]["instances"]["items"]
    assert row["required"] == ["x1", "x2", "colour"]
    assert row["additionalProperties"] is False
    assert row["properties"]["x1"] == {
        "type": ["number", "null"],
        "minimum": -FLOAT32_MAX,
        "maximum": FLOAT32_MAX,
    }
    colour = row["properties"]["colour"]["anyOf"]
    assert sorted(colour[0]["enum"]) == ["blue", "green", "red"]
    assert colour[1:] == [
        {"type": "string", "description": "any other category: read as missing"},
        {"type": "null"},
    ]


@pytest.mark.parametrize(
    ("task", "outputs", "threshold"),
    [
        (TaskType.BINARY, ["label", "probabilities", "both", None], True),
        (TaskType.MULTICLASS, ["label", "probabilities", "both", None], False),
        (TaskType.REGRESSION, ["both", None], False),
    ],
)
def test_the_options_are_those_of_the_served_models_task(
    task: TaskType, outputs: list[str | None], threshold: bool
) -> None:
    with serve(trained_container(task)) as client:
        document = client.get("/openapi.json").json()
    for path, where, closed in (
        ("/predict", "parameters", True),
        ("/v2/models/{name}/infer", "parameters", False),
    ):
        options = body_schema(document, path)["properties"][where]
        assert options["properties"]["output"]["enum"] == outputs
        assert ("threshold" in options["properties"]) is threshold
        assert (options.get("additionalProperties") is False) is closed
    params = body_schema(document, "/invocations")["oneOf"][0]["properties"]["params"]
    assert params["properties"]["output"]["enum"] == outputs


@pytest.mark.parametrize("path", PREDICTION_BODIES)
def test_each_example_is_a_valid_request_body(document: Document, client: TestClient, path: str) -> None:
    content = document["paths"][path]["post"]["requestBody"]["content"]
    for media, described in content.items():
        rooted = {**described["schema"], "components": document["components"]}  # where its $ref points
        assert jsonschema_rs.validator_for(rooted).is_valid(described["example"]), (path, media)
        sent = {"content": described["example"]} if media == "text/csv" else {"json": described["example"]}
        answered = client.post(
            path.replace("{name}", "demo"), headers={**AUTH, "Content-Type": media}, **sent
        )
        assert answered.status_code == 200, answered.text


def test_before_a_model_loads_the_document_is_the_generic_one() -> None:
    app = create_app(trained_container())  # its lifespan never ran: nothing is loaded
    document = app.openapi()
    row = body_schema(document, "/predict")["properties"]["instances"]["items"]
    assert "required" not in row
    assert (
        "example" not in document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    )
    version = document["paths"]["/v2/models/{name}/versions/{version}"]["get"]["parameters"][1]
    assert "enum" not in version["schema"]
    assert app.openapi() is document  # kept while nothing changes


def test_the_document_follows_a_hot_reload(tmp_path: Path) -> None:
    container = trained_container(reload_interval_s=0, allow_breaking_changes=True)
    with serve(container) as client:
        before = client.get("/openapi.json").json()
        again = client.app.openapi()  # type: ignore[attr-defined]  # TestClient types its app as an ASGI callable
        assert client.app.openapi() is again  # type: ignore[attr-defined]  # kept per served version
        registry_of(container).set_alias(
            "demo", "production", register_variant(container, tmp_path, renamed("x1", "income"))
        )
        container.refresh_model()(PRODUCTION)
        after = client.get("/openapi.json").json()

    assert before["paths"]["/v2/models/{name}/versions/{version}"]["get"]["parameters"][1]["schema"][
        "enum"
    ] == ["1"]
    assert after["paths"]["/v2/models/{name}/versions/{version}"]["get"]["parameters"][1]["schema"][
        "enum"
    ] == ["2"]
    assert body_schema(before, "/predict")["properties"]["instances"]["items"]["required"] == [
        "x1",
        "x2",
        "colour",
    ]
    assert body_schema(after, "/predict")["properties"]["instances"]["items"]["required"] == [
        "income",
        "x2",
        "colour",
    ]


@pytest.mark.parametrize("path", HEALTH)
def test_the_health_routes_answer_head_with_the_get_status_and_headers_and_no_body(
    client: TestClient, path: str
) -> None:
    get, head = client.get(path), client.head(path)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize("path", ["/health/ready", "/ping", "/v2/health/ready"])
def test_head_before_a_model_loads_is_a_503_without_a_body(path: str) -> None:
    with serve(with_keys(memory_container())) as client:  # nothing registered: nothing loads
        response = client.head(path)

    assert response.status_code == 503
    assert response.content == b""
    assert response.headers["Retry-After"]


def test_head_elsewhere_is_not_allowed(client: TestClient) -> None:
    response = client.head("/v1/models/current", headers=AUTH)
    assert response.status_code == 405
    assert client.put("/health/live").headers["Allow"].replace(" ", "").split(",") in (
        ["GET", "HEAD"],
        ["HEAD", "GET"],
    )
