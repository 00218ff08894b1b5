"""MLflow's scoring protocol (``mlflow models serve``): request bodies -> model input, and the
``{"predictions": [...]}`` answer.

Bodies are JSON, CSV or (read leniently) Parquet. By default they are read as MLflow's own
server reads them (``mlflow_lenient``); a strict codec reads JSON and CSV only, and refuses
anything the model's schema does not name exactly (``mlflow_json``).
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import orjson

from predictor.domain.options import Output, PredictionOptions
from predictor.domain.ports import TableReader
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.services.serving.codecs import mlflow_lenient
from predictor.services.serving.codecs.base import Decoded, Encoded, Reader, UnsupportedMediaType
from predictor.services.serving.codecs.mlflow_json import PARAMS, parse_csv, parse_json
from predictor.services.serving.prediction import PredictionResult

if TYPE_CHECKING:
    from predictor.services.serving.core import InferenceRequest

JSON = "application/json"
CSV = "text/csv"
# The type `mlflow models serve` reads Parquet bodies as (pyfunc.scoring_server.CONTENT_TYPE_PARQUET).
PARQUET = "application/vnd.apache.parquet"
# A CSV body may hold a boolean cell only where one of these is written (a search at C speed).
_TRUTH = re.compile(rb"(?i)true|false")


def predictions(result: PredictionResult) -> list[object]:
    """What ``mlflow models serve`` answers for this model when no ``output`` is asked for:
    P(positive class) per row (binary), every class's probability per row in label order
    (multiclass), the value (regression); else labels, probability lists or /predict's objects."""
    output = result.options.output
    if output is None:
        values: list[object] = result.scores.astype(np.float64).tolist()
        return values
    if output is Output.LABEL:
        return list(result.labels())
    if output is Output.PROBABILITIES:
        return list(result.probabilities().tolist())
    if result.target.task is TaskType.REGRESSION:
        return [float(v) for v in result.scores.tolist()]
    return [prediction.as_dict() for prediction in result.predictions]


def read_invocation(media: str, body: bytes, schema: FeatureSchema | None) -> Decoded:
    """The rows of a CSV or JSON body, and the options of a JSON one, read strictly."""
    if media == CSV:
        return Decoded(parse_csv(body), PredictionOptions(), PARAMS)
    batch, params = parse_json(body)
    return Decoded(batch, PredictionOptions.parse(params, PARAMS), PARAMS)


def read_lenient(media: str, tables: TableReader, body: bytes, schema: FeatureSchema | None) -> Decoded:
    """A CSV, JSON or Parquet body read as ``mlflow models serve`` reads it (before a model
    loads, JSON and CSV strictly: the request is refused as unavailable once read)."""
    if media == PARQUET:
        return mlflow_lenient.read_parquet(tables, body, schema)
    if schema is None:
        return read_invocation(media, body, schema)
    if media == CSV:
        return mlflow_lenient.read_csv(parse_csv(body), schema, _TRUTH.search(body) is not None)
    return mlflow_lenient.read_json(body, schema)


def _refuse_parameters(content_type: str) -> None:
    """``mlflow models serve`` answers 415 to a content type parameter other than ``charset``."""
    names = [part.partition("=")[0].strip().lower() for part in content_type.split(";")[1:]]
    unexpected = [name for name in names if name != "charset"]
    if unexpected:
        raise UnsupportedMediaType(
            f"the Content-Type has parameters this protocol does not read: {', '.join(unexpected)};"
            " send charset=utf-8 or none"
        )


class MlflowCodec:
    """``POST /invocations``: MLflow's scoring input in, ``{"predictions": ...}`` out. Lenient
    (as ``mlflow models serve``: JSON, CSV, Parquet through ``tables``) unless ``strict``
    (JSON and CSV, exactly as the schema names them)."""

    def __init__(self, tables: TableReader | None = None, strict: bool = False) -> None:
        self._tables = tables
        self.strict = strict or tables is None
        self.content_types: tuple[str, ...] = (JSON, CSV) if self.strict else (JSON, CSV, PARQUET)

    def parsed_bytes(self, request: InferenceRequest) -> int:
        return len(request.body)

    def decode(self, request: InferenceRequest, media: str) -> Reader:
        _refuse_parameters(request.content_type or "")
        if self._tables is None or self.strict:
            return partial(read_invocation, media)
        return partial(read_lenient, media, self._tables)

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> Encoded:
        return Encoded(orjson.dumps({"predictions": predictions(result)}))
