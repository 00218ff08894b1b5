"""Training data sets by name or path: the bundled scikit-learn sets, CSV and Parquet files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from predictor.adapters.files.tables import read_table_file
from predictor.domain.errors import DataError
from predictor.domain.ports import DatasetSource
from predictor.domain.table import ReadOptions, Table

# Every bundled set names its target column "target"; feature names are scikit-learn's
# own (breast cancer's contain spaces: "mean radius").
TARGET_COLUMN = "target"


def _classes(bunch: Any) -> tuple[list[Any], tuple[str, ...]]:
    """Integer class codes -> the data set's class names, listed in its own code order."""
    names = tuple(str(n) for n in bunch.target_names)
    return [names[int(code)] for code in bunch.target], names


def _values(bunch: Any) -> tuple[list[Any], tuple[str, ...]]:
    return [float(v) for v in bunch.target], ()


_FILE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".parquet", ".pq"})
# name -> (scikit-learn loader, how its target reads)
_BUNDLED: Mapping[str, tuple[str, Callable[[Any], tuple[list[Any], tuple[str, ...]]]]] = {
    "breast-cancer": ("load_breast_cancer", _classes),
    "wine": ("load_wine", _classes),
    "diabetes": ("load_diabetes", _values),
}


class LocalDatasetSource(DatasetSource):
    """Data sets on this machine, by name or path.

    Bundled (from scikit-learn, no download): ``breast-cancer`` (binary: "malignant" /
    "benign"), ``wine`` (multiclass: "class_0" … "class_2") and ``diabetes`` (regression).
    Features are float columns; the target column is ``target``.

    Files: ``*.csv`` / ``*.tsv`` / ``*.txt`` (any delimiter) and ``*.parquet`` / ``*.pq``,
    read as ``options`` say (see ``predictor.adapters.files.tables``); ``options.target`` is required.
    A file may be an ``s3://bucket/key`` URI: it is copied to a temporary file first (training
    holds the whole table in memory anyway).
    """

    def load(self, name: str, options: ReadOptions | None = None) -> Table:
        options = options or ReadOptions()
        if name in _BUNDLED:
            if options.target not in (None, TARGET_COLUMN):
                raise DataError(f"the bundled data set {name!r} has the target column {TARGET_COLUMN!r}")
            return _bundled(name)
        if name.startswith("s3://"):
            from predictor.adapters.files.locations import local_copy  # pyarrow, for S3 only

            with local_copy(name) as local:
                return read_table_file(local, options)
        path = Path(name)
        if path.suffix.lower() in _FILE_SUFFIXES or path.exists():
            return read_table_file(path, options)
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
