"""Use case: explain the served model's predictions as per-feature contributions (TreeSHAP for
XGBoost), which add up, with the base value, to the model's margin for each row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.encoding.inputs import Records
from predictor.domain.schema import TaskType
from predictor.services.serving.loading import ModelSlot, ServedModel
from predictor.services.serving.offload import EncodedBatch
from predictor.services.serving.prediction import MODEL_INPUTS, encode_for

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Explanation:
    """Per row: contributions by feature (by class, then feature, for multiclass), the base
    value and the margin (log-odds for binary, class scores before softmax for multiclass)."""

    contributions: Floats
    base: Floats
    model: ServedModel

    @property
    def margin(self) -> Floats:
        return np.asarray(self.contributions.sum(axis=-1) + self.base)

    def rows(self) -> list[dict[str, Any]]:
        """JSON-ready rows: ``contributions``, ``base_value``, ``margin``; keyed by class when multiclass."""
        schema = self.model.model.manifest.schema
        names = schema.names
        margin = self.margin
        if schema.target.task is not TaskType.MULTICLASS:
            return [
                {"contributions": dict(zip(names, row, strict=True)), "base_value": base, "margin": m}
                for row, base, m in zip(
                    self.contributions.tolist(), self.base.tolist(), margin.tolist(), strict=True
                )
            ]
        labels = schema.target.labels
        return [
            {
                "contributions": {
                    label: dict(zip(names, per_class, strict=True))
                    for label, per_class in zip(labels, row, strict=True)
                },
                "base_value": dict(zip(labels, base, strict=True)),
                "margin": dict(zip(labels, m, strict=True)),
            }
            for row, base, m in zip(
                self.contributions.tolist(), self.base.tolist(), margin.tolist(), strict=True
            )
        ]


class ExplainPrediction:
    """Validate rows against the served model's schema and explain its prediction for each."""

    def __init__(self, slot: ModelSlot, max_rows: int) -> None:
        self._slot = slot
        self._max_rows = max_rows

    def __call__(self, rows: Any, served: ServedModel | None = None) -> Explanation:
        """``served``: the model to explain with (a model served by name); by default the slot's.
        Raises ``InvalidInput``, ``PayloadTooLarge`` or ``ModelUnavailable``."""
        if isinstance(rows, EncodedBatch):
            served = rows.served
        elif served is None:
            served = self._slot.current()
        batch = rows if isinstance(rows, MODEL_INPUTS) else Records(rows)
        encoded = encode_for(served, batch, self._max_rows)
        contributions, base = served.model.contributions(encoded.matrix)
        return Explanation(
            np.asarray(contributions, dtype=np.float64), np.asarray(base, dtype=np.float64), served
        )
