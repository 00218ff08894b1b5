"""Challenger against champion: score the model an alias points at on the new run's test rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import InvalidInput, ModelNotFound
from predictor.domain.model import ModelRef
from predictor.domain.ports import ModelRegistry, ModelRuntime, ServableModel
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.services.training.metrics import MAIN_METRIC, evaluate, is_better


@dataclass(frozen=True)
class PromotionDecision:
    """Whether the alias moves to the new version, on which metric, and both scores."""

    alias: str
    promote: bool
    metric: str
    candidate: float
    current: float | None = None
    current_version: str | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "promoted": self.promote,
            "metric": self.metric,
            "candidate": self.candidate,
            "current": self.current,
            "current_version": self.current_version,
            "reason": self.reason,
        }

    def describe(self) -> str:
        if self.current is None:
            return f"{self.reason}: {self.metric} {self.candidate:.4f}"
        verdict = "moves to the new version" if self.promote else "stays"
        return (
            f"{self.alias} {verdict}: {self.metric} {self.candidate:.4f} (new) vs "
            f"{self.current:.4f} (version {self.current_version}) on the same {self.reason}"
        )


class ChallengeChampion:
    """Load the version ``name@alias`` through the registry and runtime, encode the held-out
    raw rows with its own encoder, and compare its main metric with the candidate's."""

    def __init__(self, registry: ModelRegistry, runtime: ModelRuntime) -> None:
        self._registry = registry
        self._runtime = runtime

    def __call__(
        self,
        name: str,
        alias: str,
        schema: FeatureSchema,
        rows: Sequence[Mapping[str, Any]],
        truth: npt.NDArray[np.float64],
        candidate_metrics: Mapping[str, float],
    ) -> PromotionDecision:
        task = schema.target.task
        metric = MAIN_METRIC[task]
        candidate = float(candidate_metrics[metric])
        try:
            current = self._registry.resolve(ModelRef(name, alias=alias))
        except ModelNotFound:
            return PromotionDecision(alias, True, metric, candidate, reason=f"no {name}@{alias} yet")
        model = self._runtime.load_downloaded(lambda scratch: self._registry.download(current, scratch))
        theirs = model.manifest.schema
        left_alone = f"{alias} is left alone"
        if theirs.target.task is not task or theirs.target.labels != schema.target.labels:
            why = (
                f"version {current.version} predicts another target ({theirs.target.task.value}, "
                f"{list(theirs.target.labels)}); {left_alone}"
            )
            return PromotionDecision(alias, False, metric, candidate, None, current.version, why)
        try:
            theirs_score = _score(model, rows, truth, metric)
        except InvalidInput as exc:
            why = f"version {current.version} cannot score these rows ({exc}); {left_alone}"
            return PromotionDecision(alias, False, metric, candidate, None, current.version, why)
        return PromotionDecision(
            alias=alias,
            promote=is_better(metric, candidate, theirs_score),
            metric=metric,
            candidate=candidate,
            current=theirs_score,
            current_version=current.version,
            reason=f"{len(rows)} held-out rows",
        )


def _score(
    model: ServableModel, rows: Sequence[Mapping[str, Any]], truth: npt.NDArray[np.float64], metric: str
) -> float:
    """``model``'s ``metric`` on the raw rows, encoded with its own schema (its features only:
    a column the new model uses but it does not is not its to see)."""
    schema = model.manifest.schema
    encoded = RowEncoder(schema).encode([{k: row[k] for k in schema.names if k in row} for row in rows])
    scores = np.asarray(model.predict(encoded.matrix), dtype=np.float64)
    task = schema.target.task
    labels = len(schema.target.labels) if task is not TaskType.REGRESSION else 0
    return evaluate(task, truth, scores, labels)[metric]
