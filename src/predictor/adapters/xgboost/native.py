"""XGBoost's C library, called directly: the serving path without the ``xgboost`` package.

``import xgboost`` costs a serving process about 0.2 s and 28 MiB (it imports scipy and
builds its Python API); the prediction itself is one call into ``libxgboost``, the same
call ``Booster.inplace_predict`` makes. This module loads the library that the installed
``xgboost`` wheel ships, without importing the package, and binds the handful of C API
functions serving needs: load a model from memory, predict from a dense float32 matrix,
and TreeSHAP contributions. Predictions are bit-identical to the Python package's
(tests/unit/test_native_booster.py checks them against it). Tuning also steps its
cross-validation folds through it (``boost_round``), on boosters the package built.

Every call releases the GIL (ctypes does for ``CDLL`` functions), as the Python package's do.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import math
import os
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from predictor.domain.ports import Matrix, Scores

_Handle = ctypes.c_void_p
_ULong = ctypes.c_uint64
_SOURCE_PREFIX = re.compile(r"^\[[^\]]*\]\s+\S+:\d+:\s*")

# XGBoosterPredictFromDense's "type": 0 = value (probabilities after the link function),
# 2 = TreeSHAP contributions (XGBoosterPredictFromDMatrix only).
_VALUE, _CONTRIBUTIONS = 0, 2


class XGBoostLibraryError(RuntimeError):
    """A call into libxgboost failed; the message is XGBoost's, without its source location."""


def library_file() -> Path:
    """``libxgboost`` as the installed ``xgboost`` wheel ships it (found, not imported)."""
    name = {"win32": "xgboost.dll", "darwin": "libxgboost.dylib"}.get(sys.platform, "libxgboost.so")
    spec = importlib.util.find_spec("xgboost")
    places = [Path(sys.prefix) / "lib" / name]
    if spec is not None and spec.origin is not None:
        places.insert(0, Path(spec.origin).parent / "lib" / name)
    for place in places:
        if place.is_file():
            return place
    raise XGBoostLibraryError(f"libxgboost was not found (looked for {', '.join(map(str, places))})")


@cache
def library() -> ctypes.CDLL:
    """The loaded library with the signatures predictor calls (loaded once per process).

    OpenMP threads wait passively (sleep) between parallel regions unless OMP_WAIT_POLICY
    says otherwise: by default they spin, and with two server workers on two cores the
    spinning threads of one worker take the CPU the other needs. 10,000-row batches at two
    connections went from 29 to 42 requests/s (docs/performance.md). libgomp reads the
    variable once, when it is loaded with libxgboost, hence here.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    lib = ctypes.CDLL(str(library_file()))
    lib.XGBGetLastError.restype = ctypes.c_char_p
    lib.XGBGetLastError.argtypes = []
    signatures: dict[str, list[Any]] = {
        "XGBoostVersion": [ctypes.POINTER(ctypes.c_int)] * 3,
        "XGBoosterCreate": [ctypes.c_void_p, _ULong, ctypes.POINTER(_Handle)],
        "XGBoosterFree": [_Handle],
        "XGBoosterLoadModelFromBuffer": [_Handle, ctypes.c_void_p, _ULong],
        "XGBoosterSetParam": [_Handle, ctypes.c_char_p, ctypes.c_char_p],
        "XGBoosterGetNumFeature": [_Handle, ctypes.POINTER(_ULong)],
        "XGBoosterPredictFromDense": [
            _Handle,
            ctypes.c_char_p,
            ctypes.c_char_p,
            _Handle,
            ctypes.POINTER(ctypes.POINTER(_ULong)),
            ctypes.POINTER(_ULong),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
        ],
        "XGDMatrixCreateFromDense": [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Handle)],
        "XGDMatrixSetStrFeatureInfo": [_Handle, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), _ULong],
        "XGDMatrixFree": [_Handle],
        "XGBoosterUpdateOneIter": [_Handle, ctypes.c_int, _Handle],
        "XGBoosterEvalOneIter": [
            _Handle,
            ctypes.c_int,
            ctypes.POINTER(_Handle),
            ctypes.POINTER(ctypes.c_char_p),
            _ULong,
            ctypes.POINTER(ctypes.c_char_p),
        ],
        "XGBoosterPredictFromDMatrix": [
            _Handle,
            _Handle,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.POINTER(_ULong)),
            ctypes.POINTER(_ULong),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
        ],
    }
    for name, argtypes in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = ctypes.c_int
    return lib


def library_version() -> str:
    major, minor, patch = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    library().XGBoostVersion(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
    return f"{major.value}.{minor.value}.{patch.value}"


def _check(status: int) -> None:
    if status != 0:
        raise XGBoostLibraryError(clean_message(library().XGBGetLastError().decode(errors="replace")))


def clean_message(text: str) -> str:
    """XGBoost's message without its source location prefix and C++ stack trace."""
    text = text.strip()
    line = text.splitlines()[0] if text else "unknown XGBoost error"
    # "[12:00:00] /path/to/src/file.cc:123: message" -> "message"
    return _SOURCE_PREFIX.sub("", line)


def _array_interface(rows: np.ndarray) -> bytes:
    """The ``__array_interface__`` JSON XGBoost reads, for a C-contiguous 2-D float32 matrix
    (formatted directly: json.dumps was a measurable part of a one-row request)."""
    pointer, _ = rows.__array_interface__["data"]
    height, width = rows.shape
    return (
        f'{{"data":[{pointer},true],"shape":[{height},{width}],"typestr":"<f4","strides":null,"version":3}}'
    ).encode()


def _result(shape: Any, dims: _ULong, values: Any) -> Scores:
    """Copy the library's output buffer (reused by its next call on this thread) into numpy."""
    dimensions = tuple(int(shape[i]) for i in range(dims.value))
    count = math.prod(dimensions)
    if count == 0:
        return np.zeros(dimensions, dtype=np.float32)
    buffer = (ctypes.c_float * count).from_address(ctypes.addressof(values.contents))
    return np.frombuffer(memoryview(buffer), dtype=np.float32).reshape(dimensions).copy()


class NativeBooster:
    """One model loaded into libxgboost, with a fixed thread count.

    ``threads=0`` lets XGBoost use every core OpenMP sees; a thread count is set once, at
    load, because changing parameters on a booster other threads predict with is not safe.
    """

    def __init__(self, raw: bytes, threads: int = 0) -> None:
        lib = library()
        self._lib = lib
        self._handle = _Handle()
        _check(lib.XGBoosterCreate(None, 0, ctypes.byref(self._handle)))
        buffer = ctypes.create_string_buffer(raw, len(raw))
        _check(lib.XGBoosterLoadModelFromBuffer(self._handle, buffer, len(raw)))
        if threads:
            _check(lib.XGBoosterSetParam(self._handle, b"nthread", str(threads).encode()))
        count = _ULong()
        _check(lib.XGBoosterGetNumFeature(self._handle, ctypes.byref(count)))
        self.num_features = int(count.value)
        self._threads = threads
        self._config = json.dumps(
            {
                "type": _VALUE,
                "training": False,
                "iteration_begin": 0,
                "iteration_end": 0,
                "strict_shape": False,
                "missing": float("nan"),
                "cache_id": 0,
            }
        ).encode()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.XGBoosterFree(handle)

    def predict(self, rows: Matrix) -> Scores:
        """``Booster.inplace_predict``: a C-contiguous float32 matrix, NaN = missing."""
        dense = np.ascontiguousarray(rows, dtype=np.float32)
        shape = ctypes.POINTER(_ULong)()
        dims = _ULong()
        values = ctypes.POINTER(ctypes.c_float)()
        _check(
            self._lib.XGBoosterPredictFromDense(
                self._handle,
                _array_interface(dense),
                self._config,
                None,
                ctypes.byref(shape),
                ctypes.byref(dims),
                ctypes.byref(values),
            )
        )
        return _result(shape, dims, values)

    def contributions(self, rows: Matrix, feature_types: list[str]) -> Scores:
        """TreeSHAP per feature plus a last column for the base value (``pred_contribs``).

        Contributions need a DMatrix; it declares which features are categorical ("c") so
        that their splits read category codes, as the booster was trained.
        """
        dense = np.ascontiguousarray(rows, dtype=np.float32)
        matrix = _Handle()
        config = json.dumps({"missing": float("nan"), "nthread": self._threads}).encode()
        _check(self._lib.XGDMatrixCreateFromDense(_array_interface(dense), config, ctypes.byref(matrix)))
        try:
            types = (ctypes.c_char_p * len(feature_types))(*(t.encode() for t in feature_types))
            _check(self._lib.XGDMatrixSetStrFeatureInfo(matrix, b"feature_type", types, len(feature_types)))
            shape = ctypes.POINTER(_ULong)()
            dims = _ULong()
            values = ctypes.POINTER(ctypes.c_float)()
            request = json.dumps(
                {
                    "type": _CONTRIBUTIONS,
                    "training": False,
                    "iteration_begin": 0,
                    "iteration_end": 0,
                    "strict_shape": False,
                }
            ).encode()
            _check(
                self._lib.XGBoosterPredictFromDMatrix(
                    self._handle,
                    matrix,
                    request,
                    ctypes.byref(shape),
                    ctypes.byref(dims),
                    ctypes.byref(values),
                )
            )
            return _result(shape, dims, values)
        finally:
            self._lib.XGDMatrixFree(matrix)


def boost_round(booster: _Handle, train: _Handle, valid: _Handle, iteration: int) -> str:
    """Boost one round on ``train`` and score it on ``valid``: XGBoost's evaluation line,
    ``"[3]\tvalid-logloss:0.1234\tvalid-error:0.05"``, metrics in ``eval_metric`` order.

    The two calls ``Booster.update`` and ``Booster.eval_set`` make, without the feature-name and
    feature-type checks they repeat on every call in Python (about a fifth of a round on a few
    hundred rows). Callers pass matrices built for the booster, so those checks cannot fail.
    """
    lib = library()
    _check(lib.XGBoosterUpdateOneIter(booster, iteration, train))
    line = ctypes.c_char_p()
    matrices, names = (_Handle * 1)(valid), (ctypes.c_char_p * 1)(b"valid")
    _check(lib.XGBoosterEvalOneIter(booster, iteration, matrices, names, 1, ctypes.byref(line)))
    return (line.value or b"").decode()
