"""A partitioned table kept on a Dask cluster for training (``predictor train --engine dask``).

The parts are a Dask DataFrame read lazily (``reading.table_frame``: ``from_map`` over the
single-process dataset reader, one partition per part), and the profile and encode jobs run on
its partitions (``to_delayed``: one task per partition, on a worker). The encoded parts are kept
in the workers' memory as futures: the data checks, the preprocessing's statistics and every fit
read the kept parts, and the table files are read twice (profile, then encode) whatever the
number of fits. The kept training rows are a Dask array (one block per part) for the statistics
(``statistics.py``) and for ``xgboost.dask``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import dask.array as da
import numpy as np
from dask.delayed import delayed
from distributed import Client, Future

from predictor.adapters.dask.clusters import connect, gather_all, task_keys
from predictor.adapters.dask.collective import Collective
from predictor.adapters.dask.fitting import fit_on_cluster
from predictor.adapters.dask.reading import on_table, table_frame
from predictor.adapters.dask.runner import table_parts
from predictor.adapters.dask.statistics import training_statistics
from predictor.adapters.xgboost.search import search_plan
from predictor.domain.ports import DatasetSource, TrainedModel
from predictor.domain.ports.cluster import (
    TEST,
    TRAIN,
    VALID,
    ClusterFit,
    ClusterTable,
    EncodedPart,
    TrainingCluster,
)
from predictor.domain.schema import FeatureSchema
from predictor.domain.search import SearchPlan
from predictor.domain.statistics import ColumnStatistics, WantedStatistics
from predictor.domain.table import ReadOptions, Table

R = TypeVar("R")
A = TypeVar("A")

Rows = tuple[Any, Any]  # Dask arrays: the features and the encoded target


def _split_sizes(part: EncodedPart) -> tuple[int, int, int]:
    return int((part.split == TRAIN).sum()), int((part.split == VALID).sum()), int((part.split == TEST).sum())


def _split_rows(part: EncodedPart, splits: tuple[int, ...], features: bool) -> Any:
    chosen = np.isin(part.split, splits)
    return part.matrix[chosen] if features else part.truth[chosen]


class DaskClusterTable(ClusterTable):
    """The parts of one table on a Dask client, and what has been kept of them."""

    def __init__(
        self, client: Client, parts: Sequence[str], datasets: DatasetSource, options: ReadOptions,
        collective: Collective,
    ) -> None:  # fmt: skip
        self._client = client
        self._parts = list(parts)
        self._collective = collective
        self._run = uuid.uuid4().hex[:12]
        self._frame = table_frame(self._parts, datasets, options, self._run)  # lazy: nothing read yet
        self._kept: list[Future[EncodedPart]] = []
        self._sizes: list[tuple[int, int, int]] = []  # each kept part's rows in each split

    @property
    def parts(self) -> Sequence[str]:
        return self._parts

    def each_part(self, job: Callable[[Table, int], R]) -> list[R]:
        futures, keys = self._read(job, list(range(len(self._parts))), "read")
        return gather_all(self._client, futures, keys, "read")

    def keep(self, job: Callable[[Table, A], tuple[EncodedPart, R]], given: Sequence[A]) -> list[R]:
        pairs, keys = self._read(job, given, "encode")
        results = gather_all(self._client, pairs, keys, "encoded")
        self._set_kept([self._client.submit(lambda pair: pair[0], p, pure=False) for p in pairs])
        return [side for _, side in results]

    def each_kept(self, job: Callable[[EncodedPart, int], R]) -> list[R]:
        futures = [self._client.submit(job, kept, index, pure=False) for index, kept in enumerate(self._kept)]
        return gather_all(self._client, futures, {}, "read the rows of")

    def update(self, job: Callable[[EncodedPart, A], EncodedPart], given: Sequence[A]) -> None:
        updated = [
            self._client.submit(job, kept, arg, pure=False)
            for kept, arg in zip(self._kept, given, strict=True)
        ]
        self._set_kept(updated)

    def training_statistics(
        self, wanted: Sequence[WantedStatistics], names: Sequence[str]
    ) -> list[ColumnStatistics]:
        rows, _ = self._arrays(self._sizes, (TRAIN,), len(wanted))
        return training_statistics(self._client, rows, wanted, names)

    def fit(self, spec: ClusterFit) -> TrainedModel:
        sizes = self._sizes
        width = len(spec.manifest.schema.features)
        train_splits = (TRAIN, VALID) if spec.with_valid else (TRAIN,)
        train = self._arrays(sizes, train_splits, width)
        valid = self._arrays(sizes, (VALID,), width)
        return fit_on_cluster(self._client, train, valid, spec, self._collective)

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        return search_plan(schema.target.task, params)

    def _set_kept(self, kept: list[Future[EncodedPart]]) -> None:
        """Keep these parts, once they are there (their errors raised): with their split sizes."""
        sizes = [self._client.submit(_split_sizes, part, pure=False) for part in kept]
        self._sizes = gather_all(self._client, sizes, {}, "kept")
        self._kept = kept

    def _read(
        self, job: Callable[[Table, A], R], given: Sequence[A], step: str
    ) -> tuple[list[Future[R]], dict[str, str]]:
        """A task per partition of the table's frame that runs ``job`` on it: the futures, and
        the part file of each task key (its read's and its job's)."""
        keys = task_keys(self._run, step, self._parts)
        partitions = self._frame.to_delayed()
        tasks = [
            delayed(on_table, pure=False)(frame, job, arg, dask_key_name=key)
            for frame, key, arg in zip(partitions, keys, given, strict=True)
        ]
        futures: list[Future[R]] = self._client.compute(tasks)
        reads = {str(frame.key): part for frame, part in zip(partitions, self._parts, strict=True)}
        return futures, keys | reads

    def _arrays(self, sizes: Sequence[tuple[int, int, int]], splits: tuple[int, ...], width: int) -> Rows:
        """The kept rows of ``splits`` as Dask arrays, one block per part that has any."""
        features, target = [], []
        for kept, size in zip(self._kept, sizes, strict=True):
            rows = sum(size[s] for s in splits)
            if not rows:
                continue
            matrix = delayed(_split_rows)(kept, splits, True)
            truth = delayed(_split_rows)(kept, splits, False)
            features.append(da.from_delayed(matrix, shape=(rows, width), dtype=np.float32))
            target.append(da.from_delayed(truth, shape=(rows,), dtype=np.float64))
        return da.concatenate(features), da.concatenate(target)


class DaskTrainingCluster(TrainingCluster):
    """Partitioned tables on the cluster at ``scheduler`` (None: a LocalCluster for the run)."""

    def __init__(
        self, datasets: DatasetSource, scheduler: str | None = None, workers: int | None = None,
        connect_seconds: float = 5.0, collective: Collective | None = None,
    ) -> None:  # fmt: skip
        self._datasets = datasets
        self._collective = collective or Collective()
        self._scheduler = scheduler
        self._workers = workers
        self._connect_seconds = connect_seconds

    @contextmanager
    def table(self, source: str, options: ReadOptions) -> Iterator[ClusterTable]:
        parts = table_parts(source)
        with connect(self._scheduler, self._workers, self._connect_seconds) as client:
            yield DaskClusterTable(client, parts, self._datasets, options, self._collective)
