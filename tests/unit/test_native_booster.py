"""The serving path's direct libxgboost binding against the xgboost package itself: the same
booster bytes give bit-identical predictions and contributions, with categorical splits,
missing values and every task; bad bytes give XGBoost's message without its source location."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xgboost as xgb

from predictor.adapters.xgboost.native import NativeBooster, XGBoostLibraryError, library_version


def _booster(objective: str, classes: int = 0, categorical: bool = False) -> tuple[xgb.Booster, np.ndarray]:
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(400, 4)).astype(np.float32)
    rows[rng.random(rows.shape) < 0.1] = np.nan
    if categorical:
        rows[:, 0] = rng.integers(0, 6, size=400)
    signal = np.nan_to_num(rows[:, 1]) + (rows[:, 0] % 3 if categorical else 0)
    if classes:
        label = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1]))
    elif objective.startswith("binary"):
        label = (signal > 0).astype(float)
    else:
        label = signal
    types = ["c" if categorical and j == 0 else "q" for j in range(4)]
    data = xgb.DMatrix(rows, label=label, feature_types=types, enable_categorical=True)
    params = {"objective": objective, "max_depth": 4, "seed": 1, "nthread": 1}
    if classes:
        params["num_class"] = classes
    return xgb.train(params, data, num_boost_round=20), rows


CASES = [
    pytest.param("binary:logistic", 0, False, id="binary"),
    pytest.param("multi:softprob", 3, False, id="multiclass"),
    pytest.param("reg:squarederror", 0, False, id="regression"),
    pytest.param("binary:logistic", 0, True, id="categorical"),
]


@pytest.mark.parametrize(("objective", "classes", "categorical"), CASES)
@pytest.mark.parametrize("threads", [1, 0])
def test_predictions_are_the_packages_bit_for_bit(
    objective: str, classes: int, categorical: bool, threads: int
) -> None:
    booster, rows = _booster(objective, classes, categorical)
    native = NativeBooster(bytes(booster.save_raw("ubj")), threads=threads)
    expected = booster.inplace_predict(rows)
    got = native.predict(rows)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_unseen_categories_and_missing_rows_score_as_the_package_does() -> None:
    booster, _ = _booster("binary:logistic", categorical=True)
    odd = np.array([[99.0, 0.5, np.nan, 1.0], [np.nan, np.nan, np.nan, np.nan]], dtype=np.float32)
    native = NativeBooster(bytes(booster.save_raw("ubj")))
    np.testing.assert_array_equal(native.predict(odd), booster.inplace_predict(odd))


@pytest.mark.parametrize(("objective", "classes", "categorical"), CASES)
def test_contributions_are_the_packages(objective: str, classes: int, categorical: bool) -> None:
    booster, rows = _booster(objective, classes, categorical)
    types = ["c" if categorical and j == 0 else "q" for j in range(4)]
    native = NativeBooster(bytes(booster.save_raw("ubj")), threads=1)
    data = xgb.DMatrix(rows, feature_types=types, enable_categorical=True)
    expected = booster.predict(data, pred_contribs=True)
    got = native.contributions(rows, types)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_results_are_copies_that_later_calls_do_not_overwrite() -> None:
    booster, rows = _booster("binary:logistic")
    native = NativeBooster(bytes(booster.save_raw("ubj")))
    first = native.predict(rows[:5])
    kept = first.copy()
    native.predict(rows[5:10])
    np.testing.assert_array_equal(first, kept)


def test_threads_predicting_at_once_agree() -> None:
    booster, rows = _booster("multi:softprob", classes=3)
    native = NativeBooster(bytes(booster.save_raw("ubj")), threads=1)
    expected = native.predict(rows)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: native.predict(rows), range(32)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_the_feature_count_is_read_from_the_model() -> None:
    booster, _ = _booster("reg:squarederror")
    assert NativeBooster(bytes(booster.save_raw("ubj"))).num_features == 4


def test_bad_bytes_raise_xgboosts_message_without_its_source_location() -> None:
    with pytest.raises(XGBoostLibraryError) as raised:
        NativeBooster(b"not a model at all")
    message = str(raised.value)
    assert message
    assert ".cc:" not in message
    assert "/" not in message


def test_a_matrix_of_the_wrong_width_is_refused() -> None:
    booster, rows = _booster("binary:logistic")
    native = NativeBooster(bytes(booster.save_raw("ubj")))
    with pytest.raises(XGBoostLibraryError, match="feature"):
        native.predict(rows[:, :2])


def test_the_library_is_the_installed_packages() -> None:
    assert library_version() == xgb.__version__.split("rc")[0].split(".dev")[0]


@pytest.mark.parametrize(("given", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_wait_passively_unless_told_otherwise(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    probe = (
        "import os; from predictor.adapters.xgboost.native import library; "
        "library(); print(os.environ['OMP_WAIT_POLICY'])"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == expected
