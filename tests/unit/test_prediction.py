"""MakePrediction: validated rows in, labels and probabilities (or values) out."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictor.container import Container
from predictor.domain.errors import InvalidInput, ModelUnavailable, PayloadTooLarge
from predictor.domain.schema import TaskType
from tests.unit.builders import serving


def example_rows(container: Container) -> list[dict[str, object]]:
    return [dict(r) for r in container.slot().current().model.manifest.input_example]


def test_binary_rows_get_a_label_and_probabilities_that_sum_to_one() -> None:
    container = serving()
    result = asyncio.run(container.make_prediction()(example_rows(container)))
    for prediction in result.predictions:
        assert prediction.probabilities is not None
        assert set(prediction.probabilities) == {"no", "yes"}
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
        assert prediction.label == max(prediction.probabilities, key=prediction.probabilities.__getitem__)
    assert result.model.version.version == "1"
    assert result.model.alias == "production"


def test_multiclass_rows_get_the_most_probable_class() -> None:
    container = serving(TaskType.MULTICLASS)
    (prediction,) = asyncio.run(container.make_prediction()(example_rows(container)[:1])).predictions
    assert prediction.probabilities is not None
    assert set(prediction.probabilities) == {"high", "low", "mid"}
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)


def test_regression_rows_get_a_value() -> None:
    container = serving(TaskType.REGRESSION)
    (prediction,) = asyncio.run(container.make_prediction()(example_rows(container)[:1])).predictions
    assert prediction.value is not None
    assert prediction.as_dict() == {"value": prediction.value}


def test_no_model_loaded_means_unavailable(container: Container) -> None:
    with pytest.raises(ModelUnavailable):
        asyncio.run(container.make_prediction()([{"x1": 1}]))


def test_more_rows_than_the_limit_is_too_large() -> None:
    container = serving(max_rows=3)
    with pytest.raises(PayloadTooLarge) as caught:
        asyncio.run(container.make_prediction()(example_rows(container) * 2))
    assert (caught.value.limit, caught.value.actual) == (3, 10)


def test_invalid_rows_raise_invalid_input() -> None:
    container = serving()
    with pytest.raises(InvalidInput):
        asyncio.run(container.make_prediction()([{"x1": "one"}]))


ROW = st.fixed_dictionaries(
    {
        "x1": st.none() | st.floats(-5, 5),
        "x2": st.none() | st.floats(-1, 1),
        "colour": st.none() | st.sampled_from(["red", "green", "blue", "violet"]),
    }
)
SERVING = serving()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(st.lists(ROW, min_size=1, max_size=12))
def test_the_prediction_of_row_i_in_a_batch_equals_its_prediction_alone(
    rows: list[dict[str, object]],
) -> None:
    predict = SERVING.make_prediction()
    batch = asyncio.run(predict(rows)).predictions
    alone = [asyncio.run(predict([row])).predictions[0] for row in rows]
    assert [p.label for p in batch] == [p.label for p in alone]
    for together, single in zip(batch, alone, strict=True):
        assert together.probabilities == pytest.approx(single.probabilities)


def test_the_in_memory_binary_model_scores_extreme_values_without_overflow() -> None:
    container = serving()
    result = asyncio.run(container.make_prediction()([{"x1": -3.4e38, "x2": 3.4e38, "colour": "red"}]))

    assert 0.0 <= float(result.scores[0]) <= 1.0
