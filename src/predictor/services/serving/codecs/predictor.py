"""The service's own protocol (``/predict``, ``/v1/explain``):
``{"instances": [...], "parameters": {...}}``."""

from __future__ import annotations

from typing import Any

from predictor.domain.errors import FieldError, InvalidInput
from predictor.services.serving.codecs.json_body import decode_object, kind

ENVELOPE_HINT = 'send {"instances": [{"feature": value, ...}, ...]}'


def parse_instances(body: bytes, with_parameters: bool = True) -> tuple[list[Any], object]:
    """The ``instances`` list of a request body and its ``parameters`` (None when absent), or
    ``InvalidInput`` saying what is wrong. ``with_parameters=False`` allows ``instances`` only."""
    document = decode_object(body, ENVELOPE_HINT)
    allowed = ("instances", "parameters") if with_parameters else ("instances",)
    instances = document.get("instances")
    unexpected = [key for key in document if key not in allowed]
    if isinstance(instances, list) and not unexpected:
        return instances, document.get("parameters")
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
