"""XGBoost's C library, called directly: the serving path without the ``xgboost`` package.

``import xgboost`` costs a serving process time and memory (it imports scipy and builds its
Python API; docs/performance.md has the figures); the prediction itself is one call into
``libxgboost``, the same call ``Booster.inplace_predict`` makes. This module calls the library
(``library.py`` finds and loads it, without importing the package) for what serving needs:
load a model from memory, predict from a dense float32 matrix, and TreeSHAP contributions.
Predictions are bit-identical to the Python package's (tests/unit/test_native_booster.py checks
them against it). Tuning also steps its cross-validation folds through it (``boost_round``), on
boosters the package built.

Every call releases the GIL (ctypes does for ``CDLL`` functions), as the Python package's do.
"""

from __future__ import annotations

import ctypes
import json
import math
from typing import Any

import numpy as np

from predictor.adapters.xgboost.library import (
    Handle,
    ULong,
    XGBoostLibraryError,
    check,
    clean_message,
    library,
    library_version,
)
from predictor.domain.ports import Matrix, Scores

# The library's names, used with the booster by the runtime, the trainer and the tests.
__all__ = [
    "NativeBooster",
    "XGBoostLibraryError",
    "boost_round",
    "clean_message",
    "library",
    "library_version",
]

# XGBoosterPredictFromDense's "type": 0 = value (probabilities after the link function),
# 2 = TreeSHAP contributions (XGBoosterPredictFromDMatrix only).
_VALUE, _CONTRIBUTIONS = 0, 2


def _array_interface(rows: np.ndarray) -> bytes:
    """The ``__array_interface__`` JSON XGBoost reads, for a C-contiguous 2-D float32 matrix
    (formatted directly: json.dumps was a measurable part of a one-row request)."""
    pointer, _ = rows.__array_interface__["data"]
    height, width = rows.shape
    return (
        f'{{"data":[{pointer},true],"shape":[{height},{width}],"typestr":"<f4","strides":null,"version":3}}'
    ).encode()


def _result(shape: Any, dims: ULong, values: Any) -> Scores:
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
        self._handle = Handle()
        check(lib.XGBoosterCreate(None, 0, ctypes.byref(self._handle)))
        buffer = ctypes.create_string_buffer(raw, len(raw))
        check(lib.XGBoosterLoadModelFromBuffer(self._handle, buffer, len(raw)))
        if threads:
            check(lib.XGBoosterSetParam(self._handle, b"nthread", str(threads).encode()))
        count = ULong()
        check(lib.XGBoosterGetNumFeature(self._handle, ctypes.byref(count)))
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
        shape = ctypes.POINTER(ULong)()
        dims = ULong()
        values = ctypes.POINTER(ctypes.c_float)()
        check(
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
        matrix = Handle()
        config = json.dumps({"missing": float("nan"), "nthread": self._threads}).encode()
        check(self._lib.XGDMatrixCreateFromDense(_array_interface(dense), config, ctypes.byref(matrix)))
        try:
            types = (ctypes.c_char_p * len(feature_types))(*(t.encode() for t in feature_types))
            check(self._lib.XGDMatrixSetStrFeatureInfo(matrix, b"feature_type", types, len(feature_types)))
            shape = ctypes.POINTER(ULong)()
            dims = ULong()
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
            check(
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


def boost_round(booster: Handle, train: Handle, valid: Handle, iteration: int) -> str:
    """Boost one round on ``train`` and score it on ``valid``: XGBoost's evaluation line,
    ``"[3]\tvalid-logloss:0.1234\tvalid-error:0.05"``, metrics in ``eval_metric`` order.

    The two calls ``Booster.update`` and ``Booster.eval_set`` make, without the feature-name and
    feature-type checks they repeat on every call in Python (a measurable part of a round on a
    few hundred rows). Callers pass matrices built for the booster, so those checks cannot fail.
    """
    lib = library()
    check(lib.XGBoosterUpdateOneIter(booster, iteration, train))
    line = ctypes.c_char_p()
    matrices, names = (Handle * 1)(valid), (ctypes.c_char_p * 1)(b"valid")
    check(lib.XGBoosterEvalOneIter(booster, iteration, matrices, names, 1, ctypes.byref(line)))
    return (line.value or b"").decode()
