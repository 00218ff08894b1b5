"""The training data's reference profile: what ``predictor drift`` compares captured rows with.

It describes the training split's encoded matrix (after the fitted preprocessing: the values
the booster scores, which is what capture writes) and the model's predictions on the test split.
A numeric feature keeps its decile bins (open at both ends) with their shares, for PSI, and its
101 percentiles with the share of values below and at each, for KS; a categorical feature keeps
the share of each category code. Shares are of the present values; the missing rate is apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import InvalidModel

BIN_LEVELS = np.arange(1, 10) / 10  # decile edges: ten bins with the open ends
GRID_LEVELS = np.arange(101) / 100  # the percentiles the KS statistic is evaluated at


@dataclass(frozen=True)
class NumericReference:
    """A numeric column: bins for PSI, a percentile grid for KS, and the missing rate."""

    edges: tuple[float, ...]  # bin i holds edges[i-1] <= x < edges[i]; the first and last are open
    shares: tuple[float, ...]  # one per bin (len(edges) + 1), of the present values
    points: tuple[float, ...]  # the distinct percentiles 0, 1, ..., 100 of the present values
    below: tuple[float, ...]  # share of the present values < each point
    at: tuple[float, ...]  # share of the present values <= each point
    missing: float  # share of the rows missing (NaN)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "numeric", **{k: list(v) for k, v in self._arrays().items()}, "missing": self.missing}

    def _arrays(self) -> dict[str, tuple[float, ...]]:
        return {
            "edges": self.edges,
            "shares": self.shares,
            "points": self.points,
            "below": self.below,
            "at": self.at,
        }


@dataclass(frozen=True)
class CategoricalReference:
    """A categorical column: each category code's share of the present values, and the missing rate."""

    shares: Mapping[int, float]
    missing: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "categorical",
            "shares": {str(k): v for k, v in self.shares.items()},
            "missing": self.missing,
        }


@dataclass(frozen=True)
class LabelReference:
    """A classifier's predicted labels: each label's share."""

    shares: Mapping[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "labels", "shares": dict(self.shares)}


ColumnReference = NumericReference | CategoricalReference
PredictionReference = NumericReference | LabelReference


@dataclass(frozen=True)
class ReferenceProfile:
    """The reference of every feature (by name), of the predictions, and the rows behind them."""

    rows: int  # training rows profiled (all of them, or a bounded random sample)
    features: Mapping[str, ColumnReference]
    prediction: PredictionReference
    prediction_rows: int  # test rows the predictions were made on

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "features": {name: ref.as_dict() for name, ref in self.features.items()},
            "prediction": self.prediction.as_dict(),
            "prediction_rows": self.prediction_rows,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ReferenceProfile:
        try:
            features = {str(name): _column(ref) for name, ref in raw["features"].items()}
            return cls(
                int(raw["rows"]), features, _prediction(raw["prediction"]), int(raw["prediction_rows"])
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidModel(f"malformed reference profile in the manifest: {exc!r}") from exc


def _numeric(raw: Mapping[str, Any]) -> NumericReference:
    arrays = {k: tuple(float(v) for v in raw[k]) for k in ("edges", "shares", "points", "below", "at")}
    if len(arrays["shares"]) != len(arrays["edges"]) + 1 and arrays["shares"]:
        raise ValueError("a numeric reference needs one share per bin")
    return NumericReference(**arrays, missing=float(raw["missing"]))


def _column(raw: Mapping[str, Any]) -> ColumnReference:
    if raw["kind"] == "categorical":
        shares = {int(k): float(v) for k, v in raw["shares"].items()}
        return CategoricalReference(shares, float(raw["missing"]))
    return _numeric(raw)


def _prediction(raw: Mapping[str, Any]) -> PredictionReference:
    if raw["kind"] == "labels":
        return LabelReference({str(k): float(v) for k, v in raw["shares"].items()})
    return _numeric(raw)


def numeric_reference(values: npt.ArrayLike) -> NumericReference:
    """The reference of one numeric column (NaN: missing). Edges and points are values of the
    column (percentiles by the inverted CDF), so a captured value equal to one compares equal."""
    column = np.asarray(values, dtype=np.float64)
    present = np.sort(column[~np.isnan(column)])
    missing = 1.0 - len(present) / len(column) if len(column) else 0.0
    if not len(present):
        return NumericReference((), (), (), (), (), missing)
    edges = np.unique(inverted_cdf(present, BIN_LEVELS))
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)
    points = np.unique(inverted_cdf(present, GRID_LEVELS))
    below = np.searchsorted(present, points, side="left") / len(present)
    at = np.searchsorted(present, points, side="right") / len(present)
    return NumericReference(
        _floats(edges), _floats(counts / len(present)), _floats(points), _floats(below), _floats(at), missing
    )


def inverted_cdf(
    ordered: npt.NDArray[np.float64], levels: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The smallest value of ``ordered`` (sorted) whose share at or below it reaches each level
    (numpy's ``inverted_cdf``, with a tolerance, so that 0.3 of 100 values is the 30th)."""
    count = np.clip(np.ceil(levels * len(ordered) - 1e-9).astype(np.intp), 1, len(ordered))
    chosen: npt.NDArray[np.float64] = ordered[count - 1]
    return chosen


def categorical_reference(codes: npt.ArrayLike) -> CategoricalReference:
    """The reference of one categorical column of category codes (NaN: missing)."""
    column = np.asarray(codes, dtype=np.float64)
    present = column[~np.isnan(column)]
    missing = 1.0 - len(present) / len(column) if len(column) else 0.0
    found, counts = np.unique(present.astype(np.int64), return_counts=True)
    return CategoricalReference(
        {int(c): float(n) / len(present) for c, n in zip(found, counts, strict=True)}, missing
    )


def label_reference(labels: npt.ArrayLike, classes: tuple[str, ...]) -> LabelReference:
    """Each class's share of the predicted ``labels`` (every class named, zero when never predicted)."""
    predicted = np.asarray(labels, dtype=object)
    total = max(len(predicted), 1)
    return LabelReference({label: float(np.count_nonzero(predicted == label)) / total for label in classes})


def _floats(values: npt.NDArray[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
