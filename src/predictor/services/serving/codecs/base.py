"""What a codec decodes a request body into."""

from __future__ import annotations

from dataclasses import dataclass

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.options import PredictionOptions


@dataclass(frozen=True, slots=True)
class Decoded:
    """The rows to predict, the options asked for (read under ``where`` in the body), and what
    the protocol echoes back: a request id of its own, the outputs asked for."""

    batch: ModelInput
    options: PredictionOptions
    where: str = "parameters"
    id: str | None = None
    outputs: tuple[str, ...] | None = None
