"""The ``/predict`` (and ``/v1/explain``) request body: ``{"instances": [rows], "parameters": {...}}``.

The body readers here take ``(body, schema)`` and return the envelope's own values and the rows;
a decoder process runs them for big bodies (``services/serving/offload.py``), so this module
imports no web framework.
"""

from __future__ import annotations

from typing import Any

from predictor.domain.encoding.inputs import ModelInput, Records
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import FeatureSchema
from predictor.entrypoints.http.json_body import decode_object, kind

ENVELOPE_HINT = 'send {"instances": [{"feature": value, ...}, ...]}'
PARAMETERS = "parameters"


def parse_instances(body: bytes, with_parameters: bool = True) -> tuple[list[Any], object]:
    """The ``instances`` list of a request body and its ``parameters`` (None when absent), or
    ``InvalidInput`` saying what is wrong. ``with_parameters=False`` allows ``instances`` only."""
    document = decode_object(body, ENVELOPE_HINT)
    allowed = ("instances", PARAMETERS) if with_parameters else ("instances",)
    instances = document.get("instances")
    unexpected = [key for key in document if key not in allowed]
    if isinstance(instances, list) and not unexpected:
        return instances, document.get(PARAMETERS)
    fields = " and ".join(f'"{name}"' for name in allowed)
    errors = [
        FieldError(None, str(key), f"is not part of this request; the fields are {fields}")
        for key in unexpected
    ]
    if "instances" not in document:
        errors.insert(0, FieldError(None, "instances", f"is required; {ENVELOPE_HINT}"))
    elif not isinstance(instances, list):
        errors.insert(0, FieldError(None, "instances", f"must be a list of rows, got {kind(instances)}"))
    raise InvalidInput(errors)


def read_predict(body: bytes, schema: FeatureSchema | None) -> tuple[PredictionOptions, ModelInput]:
    """``/predict``: the options and the rows."""
    rows, parameters = parse_instances(body)
    return PredictionOptions.parse(parameters, PARAMETERS), Records(rows)


def read_explain(body: bytes, schema: FeatureSchema | None) -> tuple[None, ModelInput]:
    """``/v1/explain``: the rows (no parameters)."""
    rows, _ = parse_instances(body, with_parameters=False)
    return None, Records(rows)
