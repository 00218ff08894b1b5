"""The fast path of encoding: rows of plain finite numbers as a float32 matrix, at C speed.

Anything else (null, a category, a string, a boolean, a number beyond float32) is left to the
checking path of the encoders, which reports the bad fields; both paths give the same matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import numpy.typing as npt

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_PLAIN_NUMBERS = frozenset({float, int})

Matrix = npt.NDArray[np.float32]


def plain_number_matrix(values: Sequence[Sequence[object]]) -> Matrix | None:
    """Equal-length rows of plain finite ints and floats (no bool, None or str) within float32
    range, as a float32 matrix, at C speed; None for anything else."""
    if not set(map(type, chain.from_iterable(values))) <= _PLAIN_NUMBERS:
        return None
    try:
        array = np.array(values, dtype=np.float64)
    except (OverflowError, ValueError):
        return None
    if array.ndim != 2:
        return None
    # One reduction checks both: NaN propagates through max() and compares False, as inf does.
    in_range = float(np.abs(array).max()) <= _FLOAT32_MAX
    return array.astype(np.float32) if in_range else None
