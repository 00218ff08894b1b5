"""The statistics the preprocessing is fitted from: what each setting asks of a column, numpy's
reference values on one column, and the fit made from them."""

from __future__ import annotations

import math

import numpy as np

from predictor.domain.preprocessing import (
    MissingValues,
    PreprocessingSettings,
    fitted_preprocessing,
    wanted_statistics,
)
from predictor.domain.statistics import ColumnStatistics, WantedStatistics, column_statistics

NAN = math.nan


def test_each_setting_asks_only_for_what_it_fits() -> None:
    numeric, categorical = wanted_statistics([False, True], PreprocessingSettings(MissingValues.MEDIAN, True))
    assert numeric == WantedStatistics(median=True, spread=True)
    assert categorical == WantedStatistics(most_frequent=True)
    assert wanted_statistics([False], PreprocessingSettings(MissingValues.MOST_FREQUENT)) == [
        WantedStatistics(most_frequent=True)
    ]
    assert not any(w.any for w in wanted_statistics([False, True], PreprocessingSettings()))


def test_the_most_frequent_of_a_tie_is_the_smallest_and_missing_values_are_left_out() -> None:
    column = np.array([3, NAN, 1, 3, NAN, 1, NAN, 2], dtype=np.float64)
    everything = WantedStatistics(median=True, most_frequent=True, spread=True)
    assert column_statistics(column, everything) == ColumnStatistics(
        present=5, median=2.0, most_frequent=1.0, mean=2.0, std=float(np.std([3, 1, 3, 1, 2]))
    )


def test_a_column_without_a_present_value_is_left_as_it_is() -> None:
    empty = column_statistics(np.array([NAN, NAN]), WantedStatistics(median=True, spread=True))
    assert empty == ColumnStatistics(0)
    fitted = fitted_preprocessing(
        [empty, ColumnStatistics(2, median=4.0, mean=4.0, std=0.0)],
        [False, False],
        PreprocessingSettings(MissingValues.MEDIAN, scaling=True),
    )
    assert fitted.fill == (None, 4.0)
    assert fitted.center == (0.0, 4.0)
    assert fitted.scale == (1.0, 1.0)  # a constant column is centred, not divided by 0
