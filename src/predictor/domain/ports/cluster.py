"""What training on a cluster needs: a partitioned table whose parts are read, encoded and kept
on the cluster's workers, and a trainer that fits on the kept rows there (``predictor train
--engine dask``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from predictor.domain.manifest import ModelManifest
from predictor.domain.ports.serving import Matrix, Scores
from predictor.domain.ports.training import TrainedModel
from predictor.domain.schema import FeatureSchema
from predictor.domain.search import SearchPlan
from predictor.domain.statistics import ColumnStatistics, WantedStatistics
from predictor.domain.table import ReadOptions, Table

R = TypeVar("R")
A = TypeVar("A")

TRAIN, VALID, TEST = 0, 1, 2  # the split each row of an encoded part belongs to


@dataclass(frozen=True, eq=False)
class EncodedPart:
    """One part's rows with a target, encoded: the features (NaN for missing), the encoded
    target and the split of each row, in the part's row order."""

    matrix: Matrix
    truth: Scores
    split: npt.NDArray[np.int8]

    def rows(self, split: int) -> tuple[Matrix, Scores]:
        chosen = self.split == split
        return self.matrix[chosen], self.truth[chosen]


@dataclass(frozen=True, eq=False)
class ClusterFit:
    """One model to fit on the kept rows: the training split, stopped early on the validation
    split. ``params``, ``rounds`` and ``patience`` mean what they mean in ``FitSpec``;
    ``with_valid`` trains on the validation rows too (the refit after tuning)."""

    manifest: ModelManifest
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 42
    rounds: int | None = None
    patience: int | None = None
    with_valid: bool = False


class ClusterTable(Protocol):
    """A partitioned table (files named by a glob or a directory) on a cluster. Each job runs on
    a worker; jobs and what they return must pickle. A job that raises stops the call with its
    error; ``ConfigurationError`` when the cluster is lost."""

    @property
    def parts(self) -> Sequence[str]:
        """The part files, in name order: the table's rows are theirs, in this order."""
        ...

    def each_part(self, job: Callable[[Table, int], R]) -> list[R]:
        """``job(part, index)`` on each part read as a ``Table``; the results in part order."""
        ...

    def keep(self, job: Callable[[Table, A], tuple[EncodedPart, R]], given: Sequence[A]) -> list[R]:
        """Read each part, encode it with ``job(part, given[index])`` and keep the encoded part
        on its worker (in place of any kept before); the job's second results in part order."""
        ...

    def each_kept(self, job: Callable[[EncodedPart, int], R]) -> list[R]:
        """``job(kept, index)`` on each kept part; the results in part order."""
        ...

    def update(self, job: Callable[[EncodedPart, A], EncodedPart], given: Sequence[A]) -> None:
        """Replace each kept part with ``job(kept, given[index])``."""
        ...

    def training_statistics(
        self, wanted: Sequence[WantedStatistics], names: Sequence[str]
    ) -> list[ColumnStatistics]:
        """Of each feature ``j``'s present values in the kept training rows, the statistics
        ``wanted[j]``, computed on the cluster: the numbers ``column_statistics`` gives for the
        whole column in row order (the preprocessing is fitted from them). ``names[j]``: the
        feature's name, for an error's message."""
        ...

    def fit(self, spec: ClusterFit) -> TrainedModel:
        """Fit a model on the kept rows, on the cluster's workers together. Raises
        ``DataError`` when the data or parameters cannot be trained on, ``ConfigurationError``
        when a worker is lost during training."""
        ...

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        """What tuning searches for a model fitted here (as ``ModelTrainer.search_plan``)."""
        ...


class TrainingCluster(Protocol):
    """Opens partitioned tables on a cluster: a running one, or one started for the run."""

    def table(self, source: str, options: ReadOptions) -> AbstractContextManager[ClusterTable]:
        """The table ``source`` names (a file, a directory or a glob), each part read as the
        single-process engine reads a file. Raises ``DataError`` when it names no table file,
        ``ConfigurationError`` when the cluster cannot be started or reached."""
        ...
