"""Open Inference Protocol (KServe V2) infer requests read into model input: the request's
fields, its tensors checked (name, shape, datatype, integer ranges), and the tensors as one
``Columns`` (a tensor per feature) or one ``FeatureMatrix`` (a ``[rows, features]`` tensor of
numbers, categories as codes). ``predictor.services.serving.codecs.v2`` is the codec around it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.encoding.inputs import Columns, FeatureMatrix, ModelInput
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import FeatureKind, FeatureSchema, TaskType
from predictor.services.serving.codecs.json_body import invalid, kind

NUMERIC = frozenset(
    {"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64"}
)
DATATYPES = NUMERIC | {"BOOL", "BYTES"}
# The values an integer datatype holds; a value outside them is refused, not wrapped or cast.
INTEGER_RANGES = {
    **{f"INT{bits}": (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for bits in (8, 16, 32, 64)},
    **{f"UINT{bits}": (0, 2**bits - 1) for bits in (8, 16, 32, 64)},
}
# What the Open Inference Protocol's clients send beside the tensors (KServe's names the model).
# Other top-level fields are ignored: the protocol does not forbid them.
NAMES = ("model_name", "model_version")


@dataclass(frozen=True)
class InferRequest:
    """An inference request's own values; its rows travel beside it (``read_infer``)."""

    options: PredictionOptions
    id: str | None
    outputs: tuple[str, ...] | None


def _flatten(data: list[Any]) -> list[object]:
    """Nested lists in row-major order; iterative, so no nesting depth can overflow the stack."""
    flat: list[object] = []
    stack: list[Iterator[Any]] = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()
    return flat


Values = list[object] | npt.NDArray[Any]  # JSON data, or binary data (``v2_binary``) as numpy


def _tensor(raw: object, where: str) -> tuple[str, list[int], str, Values]:
    if not isinstance(raw, dict):
        raise invalid(f"must be a tensor object (name, shape, datatype, data), got {kind(raw)}", where)
    name, shape, datatype, data = (raw.get(key) for key in ("name", "shape", "datatype", "data"))
    if not isinstance(name, str):
        raise invalid("must be the tensor's name, a string", f"{where}.name")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise invalid("must be a list of non-negative integers", f"{name}.shape")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise invalid(f"must be one of {', '.join(sorted(DATATYPES))}, got {datatype!r}", f"{name}.datatype")
    if isinstance(data, np.ndarray):  # binary data, of the datatype's own width and range
        return name, shape, str(datatype), data
    if not isinstance(data, list):
        raise invalid(f"must be a list of values, got {kind(data)}", f"{name}.data")
    flat = _flatten(data)
    if len(flat) != math.prod(shape):
        raise invalid(
            f"has {len(flat)} values but the shape {shape} holds {math.prod(shape)}", f"{name}.data"
        )
    if datatype in INTEGER_RANGES:
        _check_integers(flat, str(datatype), f"{name}.data")
    return name, shape, str(datatype), flat


def _check_integers(flat: list[object], datatype: str, where: str) -> None:
    low, high = INTEGER_RANGES[datatype]
    for i, value in enumerate(flat):
        if value is None:
            continue
        if type(value) is not int:
            raise invalid(
                f"must be an integer (or null) in a {datatype} tensor, got {kind(value)}", f"{where}[{i}]"
            )
        if not low <= value <= high:
            raise invalid(f"is {value}, outside {datatype}'s range {low}..{high}", f"{where}[{i}]")


def _batch(inputs: object, schema: FeatureSchema) -> ModelInput:
    if not isinstance(inputs, list) or not inputs:
        raise invalid("must be a non-empty list of tensors", "inputs")
    tensors = [_tensor(raw, f"inputs[{i}]") for i, raw in enumerate(inputs)]
    kinds = {feature.name: feature.kind for feature in schema.features}
    width = len(schema.features)
    if len(tensors) == 1 and tensors[0][0] not in kinds:
        name, shape, datatype, flat = tensors[0]
        if len(shape) != 2 or shape[1] != width or datatype not in NUMERIC:
            raise invalid(
                f"is not a feature; one tensor holding every feature must be numeric (FP32) with "
                f"shape [rows, {width}], got {datatype} {shape}",
                name,
            )
        return FeatureMatrix(flat, shape[0])
    columns: dict[str, object] = {}
    errors: list[FieldError] = []
    for name, shape, datatype, flat in tensors:
        feature_kind = kinds.get(name)
        if feature_kind is None:
            errors.append(FieldError(None, name, "is not a feature of this model"))
        elif len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            errors.append(FieldError(None, name, f"must have shape [rows] or [rows, 1], got {shape}"))
        elif feature_kind is FeatureKind.CATEGORICAL and datatype != "BYTES":
            errors.append(
                FieldError(None, name, f"is categorical: send category names as BYTES, not {datatype}")
            )
        elif feature_kind is FeatureKind.NUMERIC and datatype not in NUMERIC:
            errors.append(
                FieldError(
                    None, name, f"is numeric: send it as FP32 (or another number type), not {datatype}"
                )
            )
        columns[name] = flat
    if errors:
        raise InvalidInput(errors)
    return Columns(columns)


def read_infer_request(
    document: dict[str, object], schema: FeatureSchema, path: tuple[str | None, str | None] = (None, None)
) -> tuple[InferRequest, ModelInput]:
    """Raises ``InvalidInput`` naming the field at fault. ``path``: the model name and version the
    route names, which a ``model_name`` or ``model_version`` in the body must repeat."""
    _check_names(document, path)
    request_id = document.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise invalid("must be a string", "id")
    # Request parameters are open to extensions (MLServer's content_type, Triton's binary
    # flags): only "output" and "threshold" mean something here.
    options = PredictionOptions.parse(document.get("parameters"), "parameters", strict=False)
    outputs = document.get("outputs")
    names: tuple[str, ...] | None = None
    if outputs is not None:
        if not isinstance(outputs, list) or not all(isinstance(o, dict) and "name" in o for o in outputs):
            raise invalid('must be a list of {"name": ...} objects', "outputs")
        names = tuple(str(o["name"]) for o in outputs)
        known = output_names(schema.target.task)
        wrong = [
            FieldError(None, "outputs", f"{n!r} is not an output; choose from {', '.join(known)}")
            for n in names
            if n not in known
        ]
        if wrong:
            raise InvalidInput(wrong)
    return InferRequest(options, request_id, names), _batch(document.get("inputs"), schema)


def _check_names(document: dict[str, object], path: tuple[str | None, str | None]) -> None:
    for field, named in zip(NAMES, path, strict=True):
        value = document.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid("must be a string", field)
        if named is not None and value != named:
            raise invalid(f"is {value!r}, but the path names {named!r}", field)


def output_names(task: TaskType) -> tuple[str, ...]:
    return ("value",) if task is TaskType.REGRESSION else ("label", "probabilities")
