"""``libxgboost``, the C library the installed ``xgboost`` wheel ships: found and loaded without
importing the package, with the signatures of the C API functions predictor calls, and its
errors as ``XGBoostLibraryError``. ``native.py`` calls it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

Handle = ctypes.c_void_p
ULong = ctypes.c_uint64
_SOURCE_PREFIX = re.compile(r"^\[[^\]]*\]\s+\S+:\d+:\s*")


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
    spinning threads of one worker take the CPU the other needs (the figures are in
    docs/performance.md). libgomp reads the variable once, when it is loaded with
    libxgboost, hence here.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    lib = ctypes.CDLL(str(library_file()))
    lib.XGBGetLastError.restype = ctypes.c_char_p
    lib.XGBGetLastError.argtypes = []
    signatures: dict[str, list[Any]] = {
        "XGBoostVersion": [ctypes.POINTER(ctypes.c_int)] * 3,
        "XGBoosterCreate": [ctypes.c_void_p, ULong, ctypes.POINTER(Handle)],
        "XGBoosterFree": [Handle],
        "XGBoosterLoadModelFromBuffer": [Handle, ctypes.c_void_p, ULong],
        "XGBoosterSetParam": [Handle, ctypes.c_char_p, ctypes.c_char_p],
        "XGBoosterGetNumFeature": [Handle, ctypes.POINTER(ULong)],
        "XGBoosterPredictFromDense": [
            Handle,
            ctypes.c_char_p,
            ctypes.c_char_p,
            Handle,
            ctypes.POINTER(ctypes.POINTER(ULong)),
            ctypes.POINTER(ULong),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
        ],
        "XGDMatrixCreateFromDense": [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Handle)],
        "XGDMatrixSetStrFeatureInfo": [Handle, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ULong],
        "XGDMatrixFree": [Handle],
        "XGBoosterUpdateOneIter": [Handle, ctypes.c_int, Handle],
        "XGBoosterEvalOneIter": [
            Handle,
            ctypes.c_int,
            ctypes.POINTER(Handle),
            ctypes.POINTER(ctypes.c_char_p),
            ULong,
            ctypes.POINTER(ctypes.c_char_p),
        ],
        "XGBoosterPredictFromDMatrix": [
            Handle,
            Handle,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.POINTER(ULong)),
            ctypes.POINTER(ULong),
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


def check(status: int) -> None:
    """Raise XGBoost's last error, cleaned, when a C call returned non-zero."""
    if status != 0:
        raise XGBoostLibraryError(clean_message(library().XGBGetLastError().decode(errors="replace")))


def clean_message(text: str) -> str:
    """XGBoost's message without its source location prefix and C++ stack trace."""
    text = text.strip()
    line = text.splitlines()[0] if text else "unknown XGBoost error"
    # "[12:00:00] /path/to/src/file.cc:123: message" -> "message"
    return _SOURCE_PREFIX.sub("", line)
