"""Runs, tuning and reports recorded in memory, for tests to read back."""

from __future__ import annotations

import itertools
import math
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from predictor.domain.errors import (
    DataError,
)
from predictor.domain.evaluation import EvaluationReport, PlotKind
from predictor.domain.ports import (
    ExperimentTracker,
    ReportRenderer,
    TrackedRun,
    TrainedModel,
    Tuner,
)
from predictor.domain.search import (
    IntParam,
    SearchSpace,
    TrialHandle,
    TrialRecord,
    TrialState,
    TuningBudget,
)


@dataclass
class RecordedRun(TrackedRun):
    """A run the in-memory tracker keeps: everything logged, for tests to read back."""

    experiment: str
    name: str
    artifacts: Path
    _run_id: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    documents: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    histories: dict[str, list[float]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    parent_run_id: str | None = None
    finished: bool = False
    failed: bool = False

    @property
    def run_id(self) -> str:
        return self._run_id

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.params.update(params)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        self.metrics.update(metrics)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self.tags.update(tags)

    def log_dict(self, payload: Mapping[str, Any], filename: str) -> None:
        self.documents[filename] = payload

    def log_metric_history(self, name: str, values: Sequence[float]) -> None:
        self.histories[name] = [float(v) for v in values]

    def log_artifact(self, content: bytes, path: str) -> None:
        self.files[path] = content

    def log_model(self, model: TrainedModel) -> str:
        directory = self.artifacts / self._run_id / "model"
        model.save(directory)
        return str(directory)


class InMemoryExperimentTracker(ExperimentTracker):
    """Keeps runs in a list; model directories go under ``root`` (a temporary folder by default)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="predictor-runs-"))
        self.runs: list[RecordedRun] = []
        self._ids = itertools.count(1)

    @contextmanager
    def start_run(
        self, experiment: str, run_name: str, parent_run_id: str | None = None
    ) -> Iterator[RecordedRun]:
        run = RecordedRun(
            experiment, run_name, self.root, f"run-{next(self._ids)}", parent_run_id=parent_run_id
        )
        self.runs.append(run)
        try:
            yield run
        except BaseException:
            run.failed = True
            raise
        run.finished = True

    def children(self, parent: RecordedRun) -> list[RecordedRun]:
        return [run for run in self.runs if run.parent_run_id == parent.run_id]


class _Trial:
    """A ``TrialHandle`` (structurally): plain attributes stand for the protocol's properties."""

    def __init__(self, number: int, params: Mapping[str, Any], threads: int) -> None:
        self.number = number
        self.params = params
        self.threads = threads
        self.reports: list[tuple[int, float]] = []

    def report(self, step: int, value: float) -> bool:
        self.reports.append((step, value))
        return False


class SeededRandomTuner(Tuner):
    """Random search with a seeded numpy generator, one trial at a time, never pruning."""

    def __init__(self) -> None:
        self.searches: list[TuningBudget] = []

    def tune(
        self,
        space: SearchSpace,
        objective: Callable[[TrialHandle], float],
        budget: TuningBudget,
        seed: int,
        maximize: bool,
        on_trial: Callable[[TrialRecord], None],
    ) -> Sequence[TrialRecord]:
        self.searches.append(budget)
        rng = np.random.default_rng(seed)
        started = time.monotonic()
        records: list[TrialRecord] = []
        for number in itertools.count():
            if budget.trials is not None and number >= budget.trials:
                break
            if budget.timeout is not None and time.monotonic() - started >= budget.timeout:
                break
            params = {p.name: _sample(p, rng) for p in space}
            began = time.monotonic()
            value = objective(_Trial(number, params, budget.threads))
            state = TrialState.COMPLETE if math.isfinite(value) else TrialState.FAILED
            record = TrialRecord(number, params, state, value, time.monotonic() - began)
            records.append(record)
            on_trial(record)
        if not any(r.state is TrialState.COMPLETE for r in records):
            raise DataError(f"no tuning trial completed ({len(records)} tried)")
        return records


def _sample(param: Any, rng: np.random.Generator) -> float | int:
    if isinstance(param, IntParam):
        return int(rng.integers(param.low, param.high + 1))
    if param.log:
        return float(np.exp(rng.uniform(np.log(param.low), np.log(param.high))))
    return float(rng.uniform(param.low, param.high))


class RecordingReportRenderer(ReportRenderer):
    """Remembers which plots were asked for; each "PNG" is the PNG signature and the plot's name."""

    def __init__(self) -> None:
        self.rendered: list[PlotKind] = []

    def render(self, plot: PlotKind, report: EvaluationReport) -> bytes:
        self.rendered.append(plot)
        return b"\x89PNG\r\n\x1a\n" + plot.value.encode()
