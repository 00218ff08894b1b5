"""The domain's metrics agree with scikit-learn's on random data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from predictor.domain.schema import TaskType
from predictor.services.training.metrics import confusion_matrix, evaluate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_metrics_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, 200).astype(np.float64)
    scores = np.clip(truth * 0.3 + rng.uniform(0, 0.7, 200), 0, 1)
    got = evaluate(TaskType.BINARY, truth, scores, 2)
    predicted = (scores >= 0.5).astype(int)
    assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(truth, scores))
    assert got["log_loss"] == pytest.approx(sk.log_loss(truth, scores))
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(truth, predicted))
    assert got["precision"] == pytest.approx(sk.precision_score(truth, predicted))
    assert got["recall"] == pytest.approx(sk.recall_score(truth, predicted))
    assert got["f1"] == pytest.approx(sk.f1_score(truth, predicted))


def test_multiclass_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 300)
    raw = rng.uniform(size=(300, 3)) + np.eye(3)[truth] * 0.8
    probabilities = raw / raw.sum(axis=1, keepdims=True)
    got = evaluate(TaskType.MULTICLASS, truth.astype(np.float64), probabilities, 3)
    predicted = probabilities.argmax(axis=1)
    assert got["roc_auc"] == pytest.approx(
        sk.roc_auc_score(truth, probabilities, multi_class="ovr", average="macro")
    )
    assert got["f1"] == pytest.approx(sk.f1_score(truth, predicted, average="macro"))
    assert got["precision"] == pytest.approx(sk.precision_score(truth, predicted, average="macro"))
    assert got["recall"] == pytest.approx(sk.recall_score(truth, predicted, average="macro"))
    assert confusion_matrix(truth, predicted, 3) == sk.confusion_matrix(truth, predicted).tolist()


def test_regression_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    truth = rng.normal(size=100)
    predicted = truth + rng.normal(scale=0.3, size=100)
    got = evaluate(TaskType.REGRESSION, truth, predicted)
    assert got["rmse"] == pytest.approx(sk.root_mean_squared_error(truth, predicted))
    assert got["mae"] == pytest.approx(sk.mean_absolute_error(truth, predicted))
    assert got["r2"] == pytest.approx(sk.r2_score(truth, predicted))
