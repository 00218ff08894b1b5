"""The Open Inference Protocol's binary tensor data extension (Triton's; tritonclient's default).

A request body is a JSON header of ``Inference-Header-Content-Length`` bytes, then the raw data
of each input whose ``parameters.binary_data_size`` says how many bytes it takes, in input
order. Numbers are little-endian and row-major; a ``BYTES`` element is its length as 4
little-endian bytes, then the bytes. An answer puts the outputs asked for as binary (an output's
``parameters.binary_data``, else the request's ``parameters.binary_data_output``) after its JSON
the same way, each naming its ``binary_data_size``, and says where the JSON ends in the
same header.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from predictor.services.serving.codecs.base import Encoded
from predictor.services.serving.codecs.json_body import invalid, kind

HEADER = "inference-header-content-length"
MEDIA_TYPE = "application/octet-stream"
DTYPES = {
    "BOOL": "?",
    **{f"UINT{bits}": f"<u{bits // 8}" for bits in (8, 16, 32, 64)},
    **{f"INT{bits}": f"<i{bits // 8}" for bits in (8, 16, 32, 64)},
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
_LENGTH = struct.Struct("<I")


def split(body: bytes, header_length: str) -> tuple[bytes, memoryview]:
    """The JSON header and the binary data after it."""
    if not header_length.isdigit() or not 0 < int(header_length) <= len(body):
        raise invalid(
            f"the Inference-Header-Content-Length header must be the JSON header's length in bytes, "
            f"from 1 to the body's {len(body)}; got {header_length[:20]!r}"
        )
    cut = int(header_length)
    return body[:cut], memoryview(body)[cut:]


def attach_inputs(document: dict[str, object], data: memoryview) -> None:
    """Give each input that names a ``binary_data_size`` its values from ``data``, in order, as
    ``data`` (a numpy array; a list of strings for ``BYTES``)."""
    inputs = document.get("inputs")
    offset = 0
    for i, tensor in enumerate(inputs if isinstance(inputs, list) else []):
        if not isinstance(tensor, dict):
            continue
        size = _binary_size(tensor.get("parameters"), f"inputs[{i}]")
        if size is None:
            continue
        name = str(tensor.get("name", f"inputs[{i}]"))
        if "data" in tensor:
            raise invalid("has both data and a binary_data_size; send the values once", f"{name}.data")
        if offset + size > len(data):
            raise invalid(
                f"needs {size} bytes of binary data, but {len(data) - offset} are left in the body",
                f"{name}.parameters.binary_data_size",
            )
        tensor["data"] = _values(tensor, data[offset : offset + size], name)
        offset += size
    if offset != len(data):
        raise invalid(
            f"the body has {len(data)} bytes after the JSON header, but the inputs' binary_data_size "
            f"add up to {offset}"
        )


def _binary_size(parameters: object, where: str) -> int | None:
    if not isinstance(parameters, dict) or "binary_data_size" not in parameters:
        return None
    size = parameters["binary_data_size"]
    if type(size) is not int or size < 0:
        raise invalid(
            f"must be a non-negative integer, got {kind(size)}", f"{where}.parameters.binary_data_size"
        )
    return size


def _values(tensor: dict[str, Any], raw: memoryview, name: str) -> npt.NDArray[Any] | list[str]:
    shape, datatype = tensor.get("shape"), tensor.get("datatype")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise invalid("must be a list of non-negative integers", f"{name}.shape")
    count = math.prod(shape)
    if datatype == "BYTES":
        return _strings(raw, count, name)
    if not isinstance(datatype, str) or datatype not in DTYPES:
        choices = ", ".join([*DTYPES, "BYTES"])
        raise invalid(f"must be one of {choices}, got {datatype!r}", f"{name}.datatype")
    dtype = np.dtype(DTYPES[datatype])
    if len(raw) != count * dtype.itemsize:
        raise invalid(
            f"is {len(raw)} bytes, but {count} {datatype} values take {count * dtype.itemsize}",
            f"{name}.parameters.binary_data_size",
        )
    return np.frombuffer(raw, dtype=dtype)


def _strings(raw: memoryview, count: int, name: str) -> list[str]:
    values: list[str] = []
    offset = 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise invalid("ends inside an element's 4-byte length", f"{name}.data")
        (length,) = _LENGTH.unpack_from(raw, offset)
        element = bytes(raw[offset + 4 : offset + 4 + length])
        if len(element) != length:
            raise invalid(f"element {len(values)} needs {length} bytes; the data ends first", f"{name}.data")
        try:
            values.append(element.decode("utf-8"))
        except UnicodeDecodeError:
            raise invalid(f"element {len(values)} is not UTF-8 text", f"{name}.data") from None
        offset += 4 + length
    if len(values) != count:
        raise invalid(f"holds {len(values)} elements but the shape holds {count}", f"{name}.data")
    return values


def binary_outputs(document: dict[str, object], chosen: Iterable[str]) -> frozenset[str]:
    """The outputs to answer as binary: each output's ``parameters.binary_data`` when it says,
    else the request's ``parameters.binary_data_output``."""
    parameters = document.get("parameters")
    every = isinstance(parameters, dict) and parameters.get("binary_data_output") is True
    asked: dict[str, bool] = {}
    outputs = document.get("outputs")
    for output in outputs if isinstance(outputs, list) else []:
        flags = output.get("parameters") if isinstance(output, dict) else None
        if isinstance(flags, dict) and isinstance(flags.get("binary_data"), bool):
            asked[str(output["name"])] = flags["binary_data"]
    return frozenset(name for name in chosen if asked.get(name, every))


def raw_bytes(datatype: str, values: npt.NDArray[Any] | Sequence[str]) -> bytes:
    """An output tensor's values as the extension lays them out."""
    if datatype == "BYTES":  # labels: a few distinct values, each laid out once
        distinct = {value: value.encode("utf-8") for value in set(values)}
        laid_out = {value: _LENGTH.pack(len(item)) + item for value, item in distinct.items()}
        return b"".join(map(laid_out.__getitem__, values))
    return np.ascontiguousarray(values, dtype=DTYPES[datatype]).tobytes()


def encode_binary(response: dict[str, Any], data: dict[str, bytes]) -> Encoded:
    """``response`` with the outputs in ``data`` sent as raw bytes after its JSON."""
    for output in response["outputs"]:
        raw = data.get(output["name"])
        if raw is not None:
            output["parameters"] = {"binary_data_size": len(raw)}
    header = orjson.dumps(response)
    tail = [data[output["name"]] for output in response["outputs"] if output["name"] in data]
    return Encoded(
        b"".join([header, *tail]), MEDIA_TYPE, {"Inference-Header-Content-Length": str(len(header))}
    )
