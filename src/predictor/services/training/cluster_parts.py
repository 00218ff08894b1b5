"""The jobs training runs on each part of a table on a cluster: profile it (the data checks' one
pass), encode it with the split of each row, and remap and preprocess what was kept.

Each job is the single-process code on one part: ``profile_table``, ``encode_columns`` and
``encode_target`` (tabular.py), so a part is checked and encoded as the whole table would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import DataError
from predictor.domain.ports.cluster import TEST, TRAIN, EncodedPart
from predictor.domain.preprocessing import Preprocessing
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target
from predictor.domain.table import Table
from predictor.services.training.profile import TableProfile, profile_table
from predictor.services.training.tabular import (
    EXAMPLE_ROWS,
    encode_columns,
    encode_target,
    is_missing,
    raw_rows,
    without_columns,
    without_rows,
)


@dataclass(frozen=True)
class PartSummary:
    """A part's columns, its profile and its present target values."""

    columns: tuple[str, ...]
    profile: TableProfile
    target: list[Any]


@dataclass(frozen=True)
class ProfilePart:
    """The data checks' pass over one part (with the request's columns dropped)."""

    drop: tuple[str, ...] = ()

    def __call__(self, table: Table, index: int) -> PartSummary:
        table = without_columns(table, self.drop) if self.drop else table
        target = [v for v in table.columns[table.target] if not is_missing(v)]
        return PartSummary(tuple(table.columns), profile_table(table), target)


def same_columns(summaries: Sequence[PartSummary], names: Sequence[str]) -> None:
    """Every part has the first part's columns: raises ``DataError`` naming (by ``names``) the
    first that differs."""
    first = summaries[0]
    for part, name in zip(summaries[1:], names[1:], strict=True):
        if part.columns != first.columns:
            missing = [c for c in first.columns if c not in part.columns]
            extra = [c for c in part.columns if c not in first.columns]
            differs = [f"no column {c!r}" for c in missing] + [f"an extra column {c!r}" for c in extra]
            raise DataError(
                f"{name}: its columns differ from {names[0]}'s: "
                + ("; ".join(differs) or "the same columns in another order")
            )


@dataclass(frozen=True)
class EncodedSide:
    """What encoding a part tells the caller: the categories met per categorical feature, with
    how many training rows have each, and the part's first test rows as a client sends them."""

    categories: Mapping[str, tuple[str, ...]]
    train_counts: Mapping[str, npt.NDArray[np.int64]]
    test_rows: list[dict[str, Any]]


@dataclass(frozen=True)
class EncodePart:
    """Encode one part's ``features`` (the categorical ones without categories yet: each part
    codes them by its own sorted categories, recoded once all parts are seen) and ``target``."""

    features: tuple[Feature, ...]
    target: Target
    drop: tuple[str, ...] = ()
    all_test_rows: bool = False

    def __call__(self, table: Table, split: npt.NDArray[np.int8]) -> tuple[EncodedPart, EncodedSide]:
        table = without_columns(table, self.drop) if self.drop else table
        keep = [not is_missing(v) for v in table.columns[table.target]]
        if not all(keep):
            table = without_rows(table, keep)
        local, categories = _local_schema(self.features, self.target, table)
        matrix = encode_columns(local, table.columns)
        truth = encode_target(local, table.columns[table.target])
        training = matrix[split == TRAIN]
        counts = {
            f.name: np.bincount(
                training[:, j][~np.isnan(training[:, j])].astype(np.int64), minlength=len(categories[f.name])
            )
            for j, f in enumerate(local.features)
            if f.kind is FeatureKind.CATEGORICAL
        }
        tests = np.flatnonzero(split == TEST)
        rows = raw_rows(local, table, tests if self.all_test_rows else tests[:EXAMPLE_ROWS])
        return EncodedPart(matrix, truth, split), EncodedSide(categories, counts, rows)


def _local_schema(
    features: tuple[Feature, ...], target: Target, table: Table
) -> tuple[FeatureSchema, dict[str, tuple[str, ...]]]:
    """The part's own schema (its categories, sorted) and those categories per feature; a
    feature with no value in the part gets a stand-in category no value has."""
    local = []
    categories: dict[str, tuple[str, ...]] = {}
    for feature in features:
        if feature.kind is FeatureKind.CATEGORICAL:
            categories[feature.name] = tuple(
                sorted({str(v) for v in table.columns[feature.name] if not is_missing(v)})
            )
            local.append(replace(feature, categories=categories[feature.name] or ("",)))
        else:
            local.append(feature)
    return FeatureSchema(tuple(local), target), categories


def training_vocabularies(
    given: Sequence[Feature], target: Target, sides: Sequence[EncodedSide]
) -> FeatureSchema:
    """Each categorical feature's categories from the training rows of every part (all its
    categories when no training row has one, as ``fit_vocabularies`` does)."""
    features: list[Feature] = []
    for feature in given:
        if feature.kind is FeatureKind.CATEGORICAL:
            seen = {c for side in sides for c in side.categories[feature.name]}
            trained = {
                c
                for side in sides
                for c, n in zip(side.categories[feature.name], side.train_counts[feature.name], strict=False)
                if n
            }
            features.append(replace(feature, categories=tuple(sorted(trained or seen))))
        else:
            features.append(feature)
    return FeatureSchema(tuple(features), target)


@dataclass(frozen=True)
class Recode:
    """Recode a kept part's categories from its own to the schema's (NaN: not a training
    category)."""

    schema: FeatureSchema

    def __call__(self, part: EncodedPart, categories: Mapping[str, tuple[str, ...]]) -> EncodedPart:
        matrix = part.matrix.copy()  # a task leaves its inputs as they were (Dask may rerun it)
        for j, feature in enumerate(self.schema.features):
            if feature.kind is not FeatureKind.CATEGORICAL:
                continue
            index = {c: float(i) for i, c in enumerate(feature.categories)}
            lookup = np.asarray([index.get(c, np.nan) for c in categories[feature.name]] + [np.nan])
            codes = np.where(np.isnan(matrix[:, j]), len(lookup) - 1, matrix[:, j]).astype(np.int64)
            matrix[:, j] = lookup[codes]
        return replace(part, matrix=matrix)


@dataclass(frozen=True)
class Preprocess:
    """A kept part with the fitted preprocessing applied."""

    preprocessing: Preprocessing

    def __call__(self, part: EncodedPart, _: object) -> EncodedPart:
        transform = self.preprocessing.compile()
        if transform is None:
            return part
        matrix = part.matrix.copy()  # a task leaves its inputs as they were (Dask may rerun it)
        transform(matrix)
        return replace(part, matrix=matrix)
