"""``InProcessPartitionRunner``: the parts of a partitioned table run one after another here."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from predictor.domain.errors import DataError
from predictor.domain.ports import PartitionRunner

S = TypeVar("S")
R = TypeVar("R")


class InProcessPartitionRunner(PartitionRunner):
    """``parts``: what each source names (a source not there names itself). The shared value
    goes through pickle once, as it would to a worker, so a model that cannot travel fails here
    too; the job does not, so that in-memory table files keep what the parts wrote."""

    def __init__(self, parts: Mapping[str, Sequence[str]] | None = None) -> None:
        self._parts = dict(parts or {})

    def parts(self, source: str | Path) -> Sequence[str]:
        named = self._parts.get(str(source), [str(source)])
        if not named:
            raise DataError(f"{source} names no CSV or Parquet file (.csv, .tsv, .parquet, .pq)")
        return list(named)

    def run(self, job: Callable[[S, int, str], R], shared: S, parts: Sequence[str]) -> list[R]:
        # Our own bytes, just made: nothing untrusted is unpickled.
        sent: S = pickle.loads(pickle.dumps(shared))  # noqa: S301
        return [job(sent, index, part) for index, part in enumerate(parts)]
