"""Training data sets by name: the bundled scikit-learn sets (CSV and Parquet files come later)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from predictor.domain.data import Table
from predictor.domain.errors import DataError
from predictor.domain.ports import DatasetSource

# Every bundled set names its target column "target"; feature names are scikit-learn's
# own (breast cancer's contain spaces: "mean radius").
TARGET_COLUMN = "target"


def _classes(bunch: Any) -> tuple[list[Any], tuple[str, ...]]:
    """Integer class codes -> the data set's class names, listed in its own code order."""
    names = tuple(str(n) for n in bunch.target_names)
    return [names[int(code)] for code in bunch.target], names


def _values(bunch: Any) -> tuple[list[Any], tuple[str, ...]]:
    return [float(v) for v in bunch.target], ()


# name -> (scikit-learn loader, how its target reads)
_BUNDLED: Mapping[str, tuple[str, Callable[[Any], tuple[list[Any], tuple[str, ...]]]]] = {
    "breast-cancer": ("load_breast_cancer", _classes),
    "wine": ("load_wine", _classes),
    "diabetes": ("load_diabetes", _values),
}


class LocalDatasetSource(DatasetSource):
    """Data sets on this machine, by name.

    Bundled (from scikit-learn, no download): ``breast-cancer`` (binary: "malignant" /
    "benign"), ``wine`` (multiclass: "class_0" … "class_2") and ``diabetes`` (regression).
    Features are float columns; the target column is ``target``.
    """

    def load(self, name: str) -> Table:
        if name in _BUNDLED:
            return _bundled(name)
        # CSV and Parquet paths will be recognised here, by suffix, before giving up.
        known = ", ".join(sorted(_BUNDLED))
        raise DataError(f"unknown data set {name!r}; bundled data sets: {known}")


def _bundled(name: str) -> Table:
    loader_name, read_target = _BUNDLED[name]
    try:
        # Imported here: scikit-learn is a training extra, never needed to serve.
        from sklearn import datasets
    except ImportError as exc:
        raise DataError(
            f"the bundled data set {name!r} needs scikit-learn; install predictor[train]"
        ) from exc
    bunch = getattr(datasets, loader_name)()
    columns: dict[str, list[Any]] = {
        str(feature): bunch.data[:, j].astype(float).tolist() for j, feature in enumerate(bunch.feature_names)
    }
    target, class_order = read_target(bunch)
    columns[TARGET_COLUMN] = target
    return Table(name=name, columns=columns, target=TARGET_COLUMN, class_order=class_order)
