"""A partitioned table on a cluster -> the checked, split, encoded and preprocessed rows kept on
its workers: the single-process engine's load, check and prepare steps, part by part.

The splits are the single-process engine's: the parts' target values are gathered (one column),
split with ``split_indices`` and the same seed, and each part told the split of its rows. The
categories are those of the training rows, and the preprocessing is fitted from the statistics
of the training rows the cluster computes where they are kept (``training_statistics``: the
numbers the single-process fit computes), so the schema in the manifest is the one the
single-process engine would write for the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import reduce
from pathlib import PurePath
from typing import Any

import numpy as np

from predictor.domain.ports import TrackedRun
from predictor.domain.ports.cluster import TEST, VALID, ClusterTable
from predictor.domain.preprocessing import (
    MissingValues,
    Preprocessing,
    fitted_preprocessing,
    wanted_statistics,
)
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target
from predictor.services.training.cluster_parts import (
    EncodedSide,
    EncodePart,
    PartSummary,
    Preprocess,
    ProfilePart,
    Recode,
    same_columns,
    training_vocabularies,
)
from predictor.services.training.data_checks import DataReport, check_profile
from predictor.services.training.preparation import data_params
from predictor.services.training.request import TrainingRequest
from predictor.services.training.tabular import class_labels, encode_target_values, split_indices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterData:
    """The rows kept on the cluster, encoded with ``schema``: how many in each split, and the
    first test rows (all of them with ``--if-better``) as a client would send them."""

    name: str
    schema: FeatureSchema
    rows: tuple[int, int, int]
    test_rows: list[dict[str, Any]]
    report: DataReport
    fingerprint: str

    def run_params(self, seed: int) -> dict[str, Any]:
        return data_params(self.name, self.schema, seed, self.rows)


def check_parts(run: TrackedRun, table: ClusterTable, name: str, request: TrainingRequest) -> ClusterData:
    """Profile every part (one pass), check the merged profile as the single-process engine
    checks a table, then split and encode the rows on the workers."""
    summaries = table.each_part(ProfilePart(tuple(request.drop)))
    same_columns(summaries, [PurePath(part).name for part in table.parts])
    profile = replace(reduce(lambda a, b: a.merge(b), (s.profile for s in summaries)), name=name)
    run.set_tags({"predictor.data_fingerprint": profile.fingerprint, "predictor.dataset": name})
    report = check_profile(profile, request.task)
    run.log_dict(report.as_dict(), "data_checks.json")
    for warning in report.warnings:
        log.warning("data check: %s", warning, extra={"dataset": name})
    report.raise_on_problems()
    data = _prepare(table, name, report, summaries, request)
    data = replace(data, fingerprint=profile.fingerprint)
    run.log_params(data.run_params(request.seed))
    return data


def _prepare(
    table: ClusterTable,
    name: str,
    report: DataReport,
    summaries: Sequence[PartSummary],
    request: TrainingRequest,
) -> ClusterData:
    target = target_of(report)
    truth = encode_target_values(target, [v for s in summaries for v in s.target])
    fractions = (request.test_fraction, request.valid_fraction)
    train, valid, test = split_indices(truth, report.task, fractions, request.seed)
    split = np.zeros(len(truth), dtype=np.int8)
    split[valid], split[test] = VALID, TEST
    bounds = np.cumsum([0] + [len(s.target) for s in summaries])
    per_part = [split[bounds[k] : bounds[k + 1]] for k in range(len(summaries))]
    features = tuple(
        Feature(column, FeatureKind.CATEGORICAL) if kind == "categorical" else Feature(column)
        for column, kind in report.column_types.items()
        if column != report.target
    )
    encode = EncodePart(features, target, tuple(request.drop), all_test_rows=request.if_better)
    sides: list[EncodedSide] = table.keep(encode, per_part)
    schema = training_vocabularies(features, target, sides)
    table.update(Recode(schema), [side.categories for side in sides])
    schema = replace(schema, preprocessing=_fit_preprocessing(table, schema, request))
    if not schema.preprocessing.is_identity:
        table.update(Preprocess(schema.preprocessing), [None] * len(sides))
    rows = [r for side in sides for r in side.test_rows]
    return ClusterData(name, schema, (len(train), len(valid), len(test)), rows, report, "")


def target_of(report: DataReport) -> Target:
    """The target as the checks found it: its task and (classification) its classes, in order."""
    labels = class_labels(set(report.class_counts)) if report.task.is_classification else ()
    return Target(report.target, report.task, labels)


def _fit_preprocessing(table: ClusterTable, schema: FeatureSchema, request: TrainingRequest) -> Preprocessing:
    """The preprocessing fitted from the statistics of the training rows, computed where they
    are kept."""
    settings = request.preprocessing
    if settings.missing is MissingValues.XGBOOST and not settings.scaling:
        return Preprocessing()  # nothing to fit: missing values left to XGBoost, no scaling
    categorical = [feature.kind is FeatureKind.CATEGORICAL for feature in schema.features]
    names = [feature.name for feature in schema.features]
    statistics = table.training_statistics(wanted_statistics(categorical, settings), names)
    return fitted_preprocessing(statistics, categorical, settings)
