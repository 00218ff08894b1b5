"""A shadow challenger behind the HTTP service: what it scores, what the summary says, and who
may read it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from predictor.adapters.memory import RecordingMetricsSink
from predictor.domain.manifest import ModelManifest
from predictor.domain.schema import FeatureKind
from predictor.entrypoints.http.loading import flush_metrics
from tests.unit.http.conftest import AUTH, JSON_AUTH, assert_problem, row
from tests.unit.shadow.serving import (
    ADMIN,
    eventually,
    predict_bodies,
    report,
    scored,
    serving,
    shadow_loaded,
    shadowed,
)
from tests.unit.variants import register_variant, registry_of


def test_the_shadow_scores_every_request_and_reports_the_pair() -> None:
    with serving(shadowed()) as client:
        assert eventually(lambda: shadow_loaded(client))
        predict_bodies(client, 20)
        assert eventually(lambda: scored(client, 20))
        body = report(client)

    assert (body["name"], body["shadow"], body["shadow_version"]) == ("demo", "models:/demo@challenger", "2")
    assert (body["sample_percent"], body["dropped"]) == (100.0, 0)
    (pair,) = body["pairs"]
    assert (pair["champion_version"], pair["shadow_version"]) == ("1", "2")
    assert (pair["requests"], pair["rows"], pair["errors"], pair["incompatible"]) == (20, 60, 0, 0)
    assert 0 <= pair["agreement"] <= 1
    assert 0 <= pair["mean_difference"] <= pair["max_difference"] <= 1
    assert pair["latency_ms"]["p50"] <= pair["latency_ms"]["p99"]


def test_a_shadow_of_the_same_version_agrees_on_every_row() -> None:
    with serving(shadowed("demo@production")) as client:
        assert eventually(lambda: shadow_loaded(client))
        predict_bodies(client, 5)
        assert eventually(lambda: scored(client, 5))
        (pair,) = report(client)["pairs"]

    assert (pair["champion_version"], pair["shadow_version"]) == ("1", "1")
    assert (pair["agreement"], pair["mean_difference"], pair["max_difference"]) == (1.0, 0.0, 0.0)


def test_every_protocol_is_shadowed() -> None:
    frame = {"dataframe_split": {"columns": ["x1", "x2", "colour"], "data": [[0.1, 0.2, "red"]]}}
    with serving(shadowed()) as client:
        assert eventually(lambda: shadow_loaded(client))
        assert client.post("/invocations", json=frame, headers=JSON_AUTH).status_code == 200
        v2 = {
            "inputs": [
                {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.1]},
                {"name": "x2", "shape": [1], "datatype": "FP64", "data": [0.2]},
                {"name": "colour", "shape": [1], "datatype": "BYTES", "data": ["red"]},
            ]
        }
        assert client.post("/v2/models/demo/infer", json=v2, headers=JSON_AUTH).status_code == 200
        assert eventually(lambda: scored(client, 2))
        (pair,) = report(client)["pairs"]

    assert (pair["requests"], pair["rows"]) == (2, 2)


def test_no_request_is_sampled_at_zero_percent() -> None:
    with serving(shadowed(shadow_sample_percent=0)) as client:
        assert eventually(lambda: shadow_loaded(client))
        predict_bodies(client, 10)
        body = report(client)

    assert (body["pairs"], body["dropped"], body["waiting"]) == ([], 0, 0)


def more_colours(manifest: ModelManifest) -> ModelManifest:
    """Version 1 knowing one more colour: the same codes for the others, another encoder."""
    features = tuple(
        replace(f, categories=(*f.categories, "violet")) if f.kind is FeatureKind.CATEGORICAL else f
        for f in manifest.schema.features
    )
    return replace(manifest, schema=replace(manifest.schema, features=features))


def other_labels(manifest: ModelManifest) -> ModelManifest:
    target = replace(manifest.schema.target, labels=("nein", "ja"))
    return replace(manifest, schema=replace(manifest.schema, target=target))


def test_rows_are_encoded_again_for_a_shadow_that_knows_other_categories(tmp_path: Path) -> None:
    container = shadowed("demo@variant")
    registry_of(container).set_alias("demo", "variant", register_variant(container, tmp_path, more_colours))
    with serving(container) as client:
        assert eventually(lambda: shadow_loaded(client))
        predict_bodies(client, 5)
        assert eventually(lambda: scored(client, 5))
        (pair,) = report(client)["pairs"]

    assert (pair["requests"], pair["rows"], pair["incompatible"]) == (5, 15, 0)
    assert (pair["agreement"], pair["max_difference"]) == (1.0, 0.0)  # version 1's weights


def test_a_shadow_with_other_labels_counts_every_request_incompatible(tmp_path: Path) -> None:
    container = shadowed("demo@variant")
    registry_of(container).set_alias("demo", "variant", register_variant(container, tmp_path, other_labels))
    with serving(container) as client:
        assert eventually(lambda: shadow_loaded(client))
        predict_bodies(client, 3)
        assert eventually(lambda: scored(client, 3))
        (pair,) = report(client)["pairs"]

    assert (pair["requests"], pair["incompatible"], pair["rows"], pair["agreement"]) == (0, 3, 0, None)


def test_the_summary_is_for_an_admin_key_and_a_name_with_a_shadow() -> None:
    with serving(shadowed()) as client:
        no_key = client.get("/v1/models/demo/shadow")
        client_key = client.get("/v1/models/demo/shadow", headers=AUTH)
        other = client.get("/v1/models/other/shadow", headers=ADMIN)

    assert_problem(no_key, 401, "unauthorized")
    assert_problem(client_key, 403, "forbidden")
    assert "no shadow" in assert_problem(other, 404, "model-not-found")["detail"]


def test_a_model_without_a_shadow_has_no_summary() -> None:
    with serving(shadowed(None)) as client:
        assert client.post("/predict", json={"instances": [row()]}, headers=JSON_AUTH).status_code == 200
        response = client.get("/v1/models/demo/shadow", headers=ADMIN)

    assert_problem(response, 404, "model-not-found")


def test_the_shadows_figures_go_out_as_metrics() -> None:
    container = shadowed(prometheus_enabled=True)
    with serving(container) as client:
        assert eventually(lambda: shadow_loaded(client))
        predict_bodies(client, 4)
        assert eventually(lambda: scored(client, 4))
        scrape = client.get("/metrics", headers=ADMIN).text
        flush_metrics(container)

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scrape)
        for s in family.samples
    }
    pair = (("model", "demo"), ("shadow_version", "2"), ("version", "1"))
    assert samples[("predictor_shadow_requests_total", pair)] == 4
    assert samples[("predictor_shadow_rows_total", pair)] == 12
    assert samples[("predictor_shadow_duration_seconds_count", pair)] == 4
    assert samples[("predictor_shadow_max_difference_count", pair)] == 4
    sink = container.adapters.metrics()
    assert isinstance(sink, RecordingMetricsSink)
    published = {(m.name, tuple(sorted(m.dimensions.items()))): m for batch in sink.batches for m in batch}
    assert published[("shadow_requests", pair)].value == 4
    assert sum(published[("shadow_latency", pair)].counts) == 4
    assert published[("shadow_latency_p99", pair)].unit == "Milliseconds"


def test_a_listed_model_has_its_own_shadow_and_the_others_none() -> None:
    container = shadowed(None, models="demo=demo@production,other=demo@production;shadow=demo@challenger")
    with serving(container) as client:
        assert eventually(lambda: shadow_loaded(client, "other"))
        for i in range(4):
            payload = {"instances": [row(x1=i / 10)]}
            for path in ("/predict", "/v1/models/other/predict"):
                assert client.post(path, json=payload, headers=JSON_AUTH).status_code == 200
        assert eventually(lambda: scored(client, 4, "other"))
        (pair,) = report(client, "other")["pairs"]
        missing = client.get("/v1/models/demo/shadow", headers=ADMIN)

    assert (pair["champion_version"], pair["shadow_version"], pair["requests"]) == ("1", "2", 4)
    assert "no shadow" in assert_problem(missing, 404, "model-not-found")["detail"]
