"""A training cluster in this process: the parts are data sets of an ``InMemoryDatasetSource``
(its names matching a glob, in name order), each job runs here in turn on a pickled copy of its
arguments (as on a worker), and a fit is the given trainer's on the kept rows put together; the
training statistics are numpy's on the kept training rows put together."""

from __future__ import annotations

import fnmatch
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from predictor.domain.errors import DataError
from predictor.domain.ports import DatasetSource, ModelTrainer, TrainedModel
from predictor.domain.ports.cluster import (
    TRAIN,
    VALID,
    ClusterFit,
    ClusterTable,
    EncodedPart,
    TrainingCluster,
)
from predictor.domain.ports.training import FitSpec, Rows
from predictor.domain.schema import FeatureSchema
from predictor.domain.search import SearchPlan
from predictor.domain.statistics import ColumnStatistics, WantedStatistics, column_statistics
from predictor.domain.table import ReadOptions, Table

R = TypeVar("R")
A = TypeVar("A")


def _sent(value: R) -> R:
    # Our own bytes, just made: nothing untrusted is unpickled.
    copy: R = pickle.loads(pickle.dumps(value))  # noqa: S301
    return copy


class InProcessClusterTable(ClusterTable):
    def __init__(
        self, parts: Sequence[str], datasets: DatasetSource, options: ReadOptions, trainer: ModelTrainer
    ):
        self._parts = list(parts)
        self._datasets = datasets
        self._options = options
        self._trainer = trainer
        self.kept: list[EncodedPart] = []
        self.fits: list[ClusterFit] = []

    @property
    def parts(self) -> Sequence[str]:
        return self._parts

    def _tables(self) -> Iterator[Table]:
        for part in self._parts:
            yield self._datasets.load(part, self._options)

    def each_part(self, job: Callable[[Table, int], R]) -> list[R]:
        return [_sent(job)(_sent(table), index) for index, table in enumerate(self._tables())]

    def keep(self, job: Callable[[Table, A], tuple[EncodedPart, R]], given: Sequence[A]) -> list[R]:
        pairs = [_sent(job)(_sent(table), arg) for table, arg in zip(self._tables(), given, strict=True)]
        self.kept = [kept for kept, _ in pairs]
        return [side for _, side in pairs]

    def each_kept(self, job: Callable[[EncodedPart, int], R]) -> list[R]:
        return [_sent(job)(part, index) for index, part in enumerate(self.kept)]

    def update(self, job: Callable[[EncodedPart, A], EncodedPart], given: Sequence[A]) -> None:
        self.kept = [_sent(job)(part, arg) for part, arg in zip(self.kept, given, strict=True)]

    def training_statistics(
        self, wanted: Sequence[WantedStatistics], names: Sequence[str]
    ) -> list[ColumnStatistics]:
        matrix = self._rows((TRAIN,))[0]
        return [column_statistics(matrix[:, j].astype(np.float64), w) for j, w in enumerate(wanted)]

    def fit(self, spec: ClusterFit) -> TrainedModel:
        self.fits.append(spec)
        train = self._rows((TRAIN, VALID) if spec.with_valid else (TRAIN,))
        valid = self._rows((VALID,))
        fit = FitSpec(spec.manifest, train, valid, spec.params, spec.seed, None, spec.rounds, spec.patience)
        return self._trainer.fit(fit)

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        return self._trainer.search_plan(schema, params)

    def _rows(self, splits: tuple[int, ...]) -> Rows:
        chosen = [np.isin(p.split, splits) for p in self.kept]
        return (
            np.concatenate([p.matrix[c] for p, c in zip(self.kept, chosen, strict=True)]),
            np.concatenate([p.truth[c] for p, c in zip(self.kept, chosen, strict=True)]),
        )


class InProcessTrainingCluster(TrainingCluster):
    """``source``: a glob over the data sets' names (``parts/*``); ``opened`` keeps each table."""

    def __init__(self, datasets: DatasetSource, trainer: ModelTrainer, names: Sequence[str] = ()) -> None:
        self._datasets = datasets
        self._trainer = trainer
        self._names = list(names)
        self.opened: list[InProcessClusterTable] = []

    @contextmanager
    def table(self, source: str, options: ReadOptions) -> Iterator[ClusterTable]:
        names = list(getattr(self._datasets, "tables", {})) or self._names
        parts = sorted(n for n in names if fnmatch.fnmatchcase(n, source))
        if not parts:
            raise DataError(f"{source} names no CSV or Parquet file (.csv, .tsv, .parquet, .pq)")
        table = InProcessClusterTable(parts, self._datasets, options, self._trainer)
        self.opened.append(table)
        yield table
