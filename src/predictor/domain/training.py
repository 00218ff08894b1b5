"""Use case: data -> schema -> split -> fit -> evaluate -> track -> register -> promote."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.data import Table
from predictor.domain.errors import DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.metrics import evaluate
from predictor.domain.model import ModelVersion
from predictor.domain.ports import DatasetSource, ExperimentTracker, ModelRegistry, ModelTrainer
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType

log = logging.getLogger(__name__)

_MAX_CLASSES_FOR_INTEGER_TARGET = 20
_EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class TrainingRequest:
    dataset: str
    experiment: str = "predictor"
    register_as: str | None = None
    promote_to: str | None = None
    seed: int = 42
    test_fraction: float = 0.2
    valid_fraction: float = 0.2
    task: TaskType | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str
    metrics: Mapping[str, float]
    schema: FeatureSchema
    version: ModelVersion | None = None
    alias: str | None = None


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def infer_task(values: Sequence[Any]) -> TaskType:
    present = [v for v in values if not _is_missing(v)]
    distinct = set(present)
    if any(isinstance(v, str | bool) for v in present):
        return TaskType.BINARY if len(distinct) == 2 else TaskType.MULTICLASS
    integral = all(float(v).is_integer() for v in present)
    if integral and len(distinct) <= _MAX_CLASSES_FOR_INTEGER_TARGET:
        return TaskType.BINARY if len(distinct) == 2 else TaskType.MULTICLASS
    return TaskType.REGRESSION


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_schema(table: Table, task: TaskType | None) -> FeatureSchema:
    """Infer feature kinds and the target from the table: strings make a column categorical."""
    target_values = table.columns[table.target]
    task = task or infer_task(target_values)
    labels: tuple[str, ...] = ()
    if task.is_classification:
        seen = {_label(v) for v in target_values if not _is_missing(v)}
        ordered = [c for c in table.class_order if c in seen]
        labels = tuple(ordered + sorted(seen - set(ordered), key=_sort_key))
    features = []
    for name in table.feature_names:
        values = table.columns[name]
        if any(isinstance(v, str) for v in values):
            vocabulary = sorted({str(v) for v in values if not _is_missing(v)})
            features.append(Feature(name, FeatureKind.CATEGORICAL, tuple(vocabulary)))
        else:
            features.append(Feature(name))
    return FeatureSchema(tuple(features), Target(table.target, task, labels))


def _sort_key(label: str) -> tuple[int, float | str]:
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def encode_columns(schema: FeatureSchema, columns: Mapping[str, Sequence[Any]]) -> npt.NDArray[np.float32]:
    """Training-side encoding of whole columns, with the same rules as the row encoder."""
    width = len(schema.features)
    rows = len(next(iter(columns.values())))
    matrix = np.empty((rows, width), dtype=np.float32)
    for j, feature in enumerate(schema.features):
        values = columns[feature.name]
        if feature.kind is FeatureKind.CATEGORICAL:
            lookup = {c: float(i) for i, c in enumerate(feature.categories)}
            matrix[:, j] = [math.nan if _is_missing(v) else lookup.get(str(v), math.nan) for v in values]
        else:
            try:
                matrix[:, j] = [math.nan if _is_missing(v) else float(v) for v in values]
            except (TypeError, ValueError) as exc:
                raise DataError(f"column {feature.name!r} mixes numbers with other values: {exc}") from exc
    return matrix


def encode_target(schema: FeatureSchema, values: Sequence[Any]) -> npt.NDArray[np.float64]:
    target = schema.target
    if target.task is TaskType.REGRESSION:
        return np.asarray([float(v) for v in values], dtype=np.float64)
    index = {label: i for i, label in enumerate(target.labels)}
    return np.asarray([index[_label(v)] for v in values], dtype=np.float64)


def split_indices(
    truth: npt.NDArray[np.float64], task: TaskType, fractions: tuple[float, float], seed: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
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


def fingerprint(table: Table) -> str:
    """A SHA-256 of the table's column names and values, to tell data sets apart."""
    digest = hashlib.sha256()
    for name, values in table.columns.items():
        digest.update(name.encode())
        digest.update(repr(list(values)).encode())
    return digest.hexdigest()


def _example_rows(
    schema: FeatureSchema, table: Table, indices: npt.NDArray[np.intp]
) -> tuple[dict[str, Any], ...]:
    rows = []
    for i in indices[:_EXAMPLE_ROWS].tolist():
        row: dict[str, Any] = {}
        for feature in schema.features:
            value = table.columns[feature.name][i]
            if _is_missing(value):
                row[feature.name] = None
            elif feature.kind is FeatureKind.CATEGORICAL:
                row[feature.name] = str(value)
            else:
                row[feature.name] = float(value)
        rows.append(row)
    return tuple(rows)


class TrainModel:
    """Train on a data set, track the run, and optionally register and promote the model."""

    def __init__(
        self,
        datasets: DatasetSource,
        trainer: ModelTrainer,
        tracker: ExperimentTracker,
        registry: ModelRegistry,
    ) -> None:
        self._datasets = datasets
        self._trainer = trainer
        self._tracker = tracker
        self._registry = registry

    def __call__(self, request: TrainingRequest) -> TrainingOutcome:
        table = self._datasets.load(request.dataset)
        schema = build_schema(table, request.task)
        truth = encode_target(schema, table.columns[table.target])
        matrix = encode_columns(schema, table.columns)
        train, valid, test = split_indices(
            truth, schema.target.task, (request.test_fraction, request.valid_fraction), request.seed
        )
        draft = ModelManifest(schema=schema, booster_file="model.ubj")
        model = self._trainer.fit(
            draft, (matrix[train], truth[train]), (matrix[valid], truth[valid]), request.params, request.seed
        )
        metrics = evaluate(
            schema.target.task, truth[test], model.predict(matrix[test]), len(schema.target.labels)
        )
        model = model.with_manifest(
            replace(model.manifest, metrics=metrics, input_example=_example_rows(schema, table, test))
        )
        data_hash = fingerprint(table)
        with self._tracker.start_run(request.experiment, run_name=f"train-{table.name}") as run:
            run.log_params(
                {
                    "dataset": table.name,
                    "seed": request.seed,
                    "task": schema.target.task.value,
                    "rows_train": len(train),
                    "rows_valid": len(valid),
                    "rows_test": len(test),
                    **request.params,
                }
            )
            run.log_metrics({f"test_{k}": v for k, v in metrics.items()})
            run.set_tags({"predictor.data_fingerprint": data_hash, "predictor.dataset": table.name})
            source = run.log_model(model)
            outcome = TrainingOutcome(run_id=run.run_id, metrics=metrics, schema=schema)
            if request.register_as is None:
                return outcome
            version = self._registry.register(
                request.register_as, source, run.run_id, {"predictor.data_fingerprint": data_hash}
            )
        if request.promote_to is not None:
            self._registry.set_alias(request.register_as, request.promote_to, version.version)
            log.info(
                "alias moved",
                extra={"model": version.name, "version": version.version, "alias": request.promote_to},
            )
        return replace(outcome, version=version, alias=request.promote_to)
