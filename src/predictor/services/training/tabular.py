"""From a table to what a trainer reads: the schema, encoded columns, the target and the splits."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import DataError
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType
from predictor.domain.table import Table

MAX_CLASSES_FOR_INTEGER_TARGET = 20
EXAMPLE_ROWS = 5

Indices = npt.NDArray[np.intp]


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def infer_task(values: Sequence[Any]) -> TaskType:
    """Text or booleans, or at most 20 distinct integers, make a classification target."""
    present = [v for v in values if not is_missing(v)]
    distinct = set(present)
    if any(isinstance(v, str | bool) for v in present):
        return TaskType.BINARY if len(distinct) == 2 else TaskType.MULTICLASS
    integral = all(float(v).is_integer() for v in present)
    if integral and len(distinct) <= MAX_CLASSES_FOR_INTEGER_TARGET:
        return TaskType.BINARY if len(distinct) == 2 else TaskType.MULTICLASS
    return TaskType.REGRESSION


def label_of(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sort_key(label: str) -> tuple[int, float | str]:
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def is_categorical(values: Sequence[Any]) -> bool:
    return any(isinstance(v, str) for v in values)


def _vocabulary(values: Sequence[Any]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if not is_missing(v)}))


def class_labels(seen: set[str], class_order: Sequence[str] = ()) -> tuple[str, ...]:
    """The classes in the data set's own order, then the others sorted (numbers as numbers)."""
    ordered = [c for c in class_order if c in seen]
    return tuple(ordered + sorted(seen - set(ordered), key=_sort_key))


def build_schema(table: Table, task: TaskType | None) -> FeatureSchema:
    """Infer feature kinds and the target from the table: strings make a column categorical.

    Vocabularies come from the whole table here; ``fit_vocabularies`` narrows them to the
    training rows.
    """
    target_values = table.columns[table.target]
    task = task or infer_task(target_values)
    labels: tuple[str, ...] = ()
    if task.is_classification:
        labels = class_labels({label_of(v) for v in target_values if not is_missing(v)}, table.class_order)
    features = []
    for name in table.feature_names:
        values = table.columns[name]
        if is_categorical(values):
            features.append(Feature(name, FeatureKind.CATEGORICAL, _vocabulary(values)))
        else:
            features.append(Feature(name))
    return FeatureSchema(tuple(features), Target(table.target, task, labels))


def fit_vocabularies(schema: FeatureSchema, table: Table, rows: Indices) -> FeatureSchema:
    """Category vocabularies from the training rows only: a category first seen in the
    validation or test rows is unknown to the model, as it would be in serving."""
    features = []
    picked = rows.tolist()
    for feature in schema.features:
        if feature.kind is FeatureKind.CATEGORICAL:
            values = table.columns[feature.name]
            # A column whose values all fall outside the training rows keeps the whole vocabulary
            # (a schema needs one); the trees never split on it.
            vocabulary = _vocabulary([values[i] for i in picked]) or feature.categories
            features.append(replace(feature, categories=vocabulary))
        else:
            features.append(feature)
    return replace(schema, features=tuple(features))


def encode_columns(schema: FeatureSchema, columns: Mapping[str, Sequence[Any]]) -> npt.NDArray[np.float32]:
    """Training-side encoding of whole columns, with the same rules as the row encoder,
    followed by the schema's fitted preprocessing."""
    width = len(schema.features)
    rows = len(next(iter(columns.values())))
    matrix = np.empty((rows, width), dtype=np.float32)
    for j, feature in enumerate(schema.features):
        values = columns[feature.name]
        if feature.kind is FeatureKind.CATEGORICAL:
            lookup = {c: float(i) for i, c in enumerate(feature.categories)}
            matrix[:, j] = [math.nan if is_missing(v) else lookup.get(str(v), math.nan) for v in values]
        else:
            try:
                matrix[:, j] = [math.nan if is_missing(v) else float(v) for v in values]
            except (TypeError, ValueError) as exc:
                raise DataError(f"column {feature.name!r} mixes numbers with other values: {exc}") from exc
    preprocess = schema.preprocessing.compile()
    if preprocess is not None:
        preprocess(matrix)
    return matrix


def encode_target(schema: FeatureSchema, values: Sequence[Any]) -> npt.NDArray[np.float64]:
    return encode_target_values(schema.target, values)


def encode_target_values(target: Target, values: Sequence[Any]) -> npt.NDArray[np.float64]:
    """The target's values as numbers: themselves (regression) or their class's index."""
    if target.task is TaskType.REGRESSION:
        try:
            return np.asarray([float(v) for v in values], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"the target {target.name!r} has values that are not numbers: {exc}") from exc
    index = {label: i for i, label in enumerate(target.labels)}
    return np.asarray([index[label_of(v)] for v in values], dtype=np.float64)


def split_indices(
    truth: npt.NDArray[np.float64], task: TaskType, fractions: tuple[float, float], seed: int
) -> tuple[Indices, Indices, Indices]:
    """Seeded train / validation / test indices, stratified by class for classification."""
    rng = np.random.default_rng(seed)
    groups = (
        [np.flatnonzero(truth == k) for k in np.unique(truth)]
        if task.is_classification
        else [np.arange(len(truth))]
    )
    test_fraction, valid_fraction = fractions
    train, valid, test = [], [], []
    for members in groups:
        shuffled = rng.permutation(members)
        n_test = max(1, round(len(shuffled) * test_fraction))
        n_valid = max(1, round(len(shuffled) * valid_fraction))
        test.append(shuffled[:n_test])
        valid.append(shuffled[n_test : n_test + n_valid])
        train.append(shuffled[n_test + n_valid :])
    return (np.sort(np.concatenate(train)), np.sort(np.concatenate(valid)), np.sort(np.concatenate(test)))


def raw_rows(schema: FeatureSchema, table: Table, indices: Indices) -> list[dict[str, Any]]:
    """Rows as a client sends them (JSON values, None for missing), in schema order."""
    rows = []
    for i in indices.tolist():
        row: dict[str, Any] = {}
        for feature in schema.features:
            value = table.columns[feature.name][i]
            if is_missing(value):
                row[feature.name] = None
            elif feature.kind is FeatureKind.CATEGORICAL:
                row[feature.name] = str(value)
            else:
                row[feature.name] = float(value)
        rows.append(row)
    return rows


def without_rows(table: Table, keep: Sequence[bool]) -> Table:
    """The table with only the rows where ``keep`` is true."""
    columns = {
        name: [v for v, k in zip(values, keep, strict=True) if k] for name, values in table.columns.items()
    }
    return replace(table, columns=columns)


def without_columns(table: Table, names: Sequence[str]) -> Table:
    unknown = [n for n in names if n not in table.columns]
    if unknown:
        raise DataError(f"cannot drop {', '.join(map(repr, unknown))}: no such column in {table.name!r}")
    if table.target in names:
        raise DataError(f"cannot drop the target column {table.target!r}")
    return replace(table, columns={k: v for k, v in table.columns.items() if k not in names})
