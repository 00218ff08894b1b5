"""What a codec decodes a request body into, the shape of the function that decodes it, and
what it encodes an answer into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from predictor.domain.encoding.inputs import ModelInput, Records
from predictor.domain.encoding.leniency import Leniency
from predictor.domain.errors import PredictorError
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import FeatureSchema


class UnsupportedMediaType(PredictorError):
    """The request's content type is not one the protocol reads (HTTP 415)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """The rows to predict, the options asked for (read under ``where`` in the body), and what
    the protocol echoes back: a request id of its own, the outputs asked for; ``leniencies``:
    how the body was read more leniently than the strict reading would have (MLflow's)."""

    batch: ModelInput
    options: PredictionOptions
    where: str = "parameters"
    id: str | None = None
    outputs: tuple[str, ...] | None = None
    leniencies: frozenset[Leniency] = frozenset()
    # The outputs to answer as raw bytes after the JSON (the V2 binary tensor extension).
    binary: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Encoded:
    """An answer: its body, its media type and the headers its protocol adds."""

    body: bytes
    media_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


# ``read(body, schema)``: a body decoded for the served model's schema (None before one loads).
# Readers are module-level functions (or partials of them) in modules that import no web
# framework, so a decoder process can run them on big bodies (``services/serving/offload.py``).
Reader = Callable[[bytes, FeatureSchema | None], Decoded]

_NO_ROWS = Records([])


def without_rows(read: Reader, body: bytes, schema: FeatureSchema | None) -> tuple[Decoded, ModelInput]:
    """``read``'s result split into the envelope and its rows, as a decoder process returns
    them: the rows are encoded there and travel back as a matrix, not as Python objects."""
    decoded = read(body, schema)
    return replace(decoded, batch=_NO_ROWS), decoded.batch
