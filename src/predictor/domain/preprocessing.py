"""The fitted preprocessing saved with every model: imputation values and optional scaling.

It is fitted on the training split only, after encoding (category codes, NaN for missing),
and applied to encoded matrices at both ends: ``encode_columns`` in training and
``RowEncoder`` in serving, which compiles it once into numpy vectors. Categorical columns
are imputed with their most frequent code and never scaled. Only numpy: this module is on
the serving path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.statistics import ColumnStatistics, WantedStatistics, column_statistics

Matrix = npt.NDArray[np.float32]


class MissingValues(StrEnum):
    """What happens to a missing value (and a category never seen in training)."""

    XGBOOST = "xgboost"  # left as NaN: XGBoost learns a default direction at every split
    MEDIAN = "median"  # numeric columns get the training median, categorical the most frequent
    MOST_FREQUENT = "most-frequent"  # every column gets its most frequent training value


@dataclass(frozen=True, slots=True)
class PreprocessingSettings:
    """What to fit: the missing-value strategy and whether to standardise numeric columns."""

    missing: MissingValues = MissingValues.XGBOOST
    scaling: bool = False


@dataclass(frozen=True, slots=True)
class Preprocessing:
    """Fitted values per feature, in schema order. Empty tuples mean "nothing to do"."""

    missing: MissingValues = MissingValues.XGBOOST
    scaling: bool = False
    fill: tuple[float | None, ...] = ()  # None: left missing
    center: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()

    @property
    def is_identity(self) -> bool:
        return all(v is None for v in self.fill) and not self.center

    def compile(self) -> Callable[[Matrix], None] | None:
        """An in-place transform of an encoded matrix, or None when there is nothing to do."""
        if self.is_identity:
            return None
        fill = np.asarray([math.nan if v is None else v for v in self.fill], dtype=np.float32)
        center = np.asarray(self.center, dtype=np.float32) if self.center else None
        scale = np.asarray(self.scale, dtype=np.float32) if self.scale else None
        impute = bool(self.fill) and not np.isnan(fill).all()

        def apply(matrix: Matrix) -> None:
            if impute:
                # Copying NaN over NaN leaves the columns without a fill value missing.
                np.copyto(matrix, fill, where=np.isnan(matrix))
            if center is not None and scale is not None:
                matrix -= center
                matrix /= scale

        return apply

    def as_dict(self, names: Sequence[str]) -> dict[str, Any]:
        features: dict[str, dict[str, float]] = {}
        for j, name in enumerate(names):
            entry: dict[str, float] = {}
            if self.fill and self.fill[j] is not None:
                entry["fill"] = float(self.fill[j])  # type: ignore[arg-type]  # checked just above
            if self.center:
                entry["center"] = self.center[j]
                entry["scale"] = self.scale[j]
            if entry:
                features[name] = entry
        return {"missing": self.missing.value, "scaling": self.scaling, "features": features}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], names: Sequence[str]) -> Preprocessing:
        """Read what ``as_dict`` wrote; raises ValueError, TypeError or KeyError when malformed."""
        if not raw:
            return cls()
        missing = MissingValues(raw.get("missing", MissingValues.XGBOOST.value))
        scaling = bool(raw.get("scaling", False))
        features = raw.get("features", {})
        if not isinstance(features, Mapping):
            raise TypeError("preprocessing.features must be an object")
        unknown = set(features) - set(names)
        if unknown:
            raise ValueError(f"preprocessing names unknown features: {sorted(unknown)}")
        entries = [features.get(name, {}) for name in names]
        fill = tuple(None if e.get("fill") is None else float(e["fill"]) for e in entries)
        center: tuple[float, ...] = ()
        scale: tuple[float, ...] = ()
        if scaling:
            center = tuple(float(e.get("center", 0.0)) for e in entries)
            scale = tuple(float(e.get("scale", 1.0)) for e in entries)
        if any(not math.isfinite(s) or s == 0.0 for s in scale):
            raise ValueError("preprocessing scales must be finite and non-zero")
        return cls(missing, scaling, fill if any(v is not None for v in fill) else (), center, scale)


def wanted_statistics(categorical: Sequence[bool], settings: PreprocessingSettings) -> list[WantedStatistics]:
    """What fitting with ``settings`` needs of each column (``categorical``: per column)."""
    fills = settings.missing is not MissingValues.XGBOOST
    return [
        WantedStatistics(
            median=fills and settings.missing is MissingValues.MEDIAN and not is_categorical,
            most_frequent=fills and (settings.missing is MissingValues.MOST_FREQUENT or is_categorical),
            spread=settings.scaling and not is_categorical,
        )
        for is_categorical in categorical
    ]


def fit_preprocessing(
    matrix: Matrix, categorical: Sequence[bool], settings: PreprocessingSettings
) -> Preprocessing:
    """Fit on the encoded training rows (rows x features, NaN for missing)."""
    wanted = wanted_statistics(categorical, settings)
    columns = [column_statistics(matrix[:, j].astype(np.float64), w) for j, w in enumerate(wanted)]
    return fitted_preprocessing(columns, categorical, settings)


def fitted_preprocessing(
    columns: Sequence[ColumnStatistics], categorical: Sequence[bool], settings: PreprocessingSettings
) -> Preprocessing:
    """The preprocessing from each column's ``wanted_statistics`` of its training values: the
    median or most frequent value as the fill, the mean and standard deviation (1 when 0) as
    the scaling of the numeric columns; a column with no present value is left as it is."""
    fill: list[float | None] = []
    center: list[float] = []
    scale: list[float] = []
    for stats, is_categorical in zip(columns, categorical, strict=True):
        median = settings.missing is MissingValues.MEDIAN and not is_categorical
        fill.append(stats.median if median else stats.most_frequent)
        if settings.scaling and not is_categorical and stats.present:
            spread = float(stats.std or 0.0)
            center.append(float(stats.mean or 0.0))
            scale.append(spread if spread > 0 else 1.0)
        else:
            center.append(0.0)
            scale.append(1.0)
    return Preprocessing(
        missing=settings.missing,
        scaling=settings.scaling,
        fill=tuple(fill) if any(v is not None for v in fill) else (),
        center=tuple(center) if settings.scaling else (),
        scale=tuple(scale) if settings.scaling else (),
    )
