"""What a client asks to get back: the label, every class's probability, or both; and the
decision threshold of a binary classifier."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.schema import TaskType

DEFAULT_THRESHOLD = 0.5


class Output(StrEnum):
    LABEL = "label"
    PROBABILITIES = "probabilities"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class PredictionOptions:
    """``output`` None means the protocol's own default; ``threshold`` None means the service's.

    A binary classifier labels a row positive when P(positive) >= threshold.
    """

    output: Output | None = None
    threshold: float | None = None

    @classmethod
    def parse(cls, raw: object, where: str, strict: bool = True) -> PredictionOptions:
        """Read ``{"output": ..., "threshold": ...}`` sent under ``where`` (``parameters``,
        ``params``); ``strict`` refuses any other key. Raises ``InvalidInput`` naming the field."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InvalidInput([FieldError(None, where, 'must be an object such as {"output": "label"}')])
        errors = []
        output = raw.get("output")
        if output is not None and output not in Output.__members__.values():
            choices = ", ".join(repr(o.value) for o in Output)
            errors.append(FieldError(None, f"{where}.output", f"must be one of {choices}, got {output!r}"))
        threshold = raw.get("threshold")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not (0.0 < threshold < 1.0)
            or math.isnan(threshold)
        ):
            errors.append(
                FieldError(None, f"{where}.threshold", f"must be a number between 0 and 1, got {threshold!r}")
            )
        if strict:
            errors += [
                FieldError(
                    None, f"{where}.{key}", 'is not an option; the options are "output" and "threshold"'
                )
                for key in raw
                if key not in ("output", "threshold")
            ]
        if errors:
            raise InvalidInput(errors)
        return cls(
            Output(output) if output is not None else None,
            float(threshold) if threshold is not None else None,
        )

    def check(self, task: TaskType, where: str) -> None:
        """Refuse options that mean nothing for a model of ``task``."""
        if self.threshold is not None and task is not TaskType.BINARY:
            raise InvalidInput(
                [
                    FieldError(
                        None,
                        f"{where}.threshold",
                        f"applies to binary classifiers only; this model is {task.value}",
                    )
                ]
            )
        if self.output in (Output.LABEL, Output.PROBABILITIES) and task is TaskType.REGRESSION:
            raise InvalidInput(
                [
                    FieldError(
                        None,
                        f"{where}.output",
                        "applies to classifiers only; a regression model answers a value per row",
                    )
                ]
            )
