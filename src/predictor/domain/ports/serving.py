"""What serving needs: a model that scores encoded rows, the runtime that loads one, and a cache
of model directories."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.shadow import ShadowFigures

Matrix = npt.NDArray[np.float32]


Scores = npt.NDArray[np.floating[Any]]


class ServableModel(Protocol):
    """A loaded model, ready to predict.

    ``predict`` takes an encoded float32 matrix (rows x features, schema order) and returns
    the probability of the positive class per row (binary), class probabilities per row
    (multiclass, shape rows x classes) or the predicted value per row (regression).
    """

    @property
    def manifest(self) -> ModelManifest: ...

    def predict(self, matrix: Matrix) -> Scores: ...

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        """Each feature's additive contribution to the model's margin, and the base value.

        For a binary classifier or a regression model: ``(rows x features, rows)``; for a
        multiclass model, one set per class: ``(rows x classes x features, rows x classes)``.
        Per row (and class), the contributions plus the base value add up to the margin: the
        log-odds (binary), the class score before softmax (multiclass) or the value. Raises
        ``InvalidModel`` when the model cannot score the matrix.
        """
        ...


class ModelRuntime(Protocol):
    """Loads a model directory (booster + manifest) into a ``ServableModel``.

    Raises ``InvalidModel`` when the directory cannot be served.
    """

    def load(self, directory: Path) -> ServableModel: ...

    def load_downloaded(self, download: Callable[[Path], Path]) -> ServableModel:
        """Load the model directory that ``download(scratch)`` writes under a new, empty scratch
        directory of the runtime's own, and returns. The scratch directory is gone afterwards,
        whether the load succeeds or not; a model loaded does not need its files. Raises what
        ``load`` raises, and what ``download`` raises."""
        ...


class ModelCache(Protocol):
    """Model directories kept on local disk, and the last version that loaded well per reference."""

    def get(self, version: ModelVersion) -> Path | None:
        """The cached directory of ``version``, or None when absent or corrupted."""
        ...

    def put(self, version: ModelVersion, download: Callable[[Path], Path]) -> Path:
        """Fill the cache for ``version``: ``download(staging_dir)`` writes the model directory
        and returns it; the cache moves it into place atomically and returns the cached path."""
        ...

    def remember(self, ref: ModelRef, version: ModelVersion) -> None:
        """Record ``version`` as the last good one for ``ref``."""
        ...

    def last_good(self, ref: ModelRef) -> tuple[ModelVersion, Path] | None: ...


class ProcessMemory(Protocol):
    """This process's memory, as the operating system counts it.

    ``resident_bytes`` is the resident set size (RSS) now, in bytes, or None where the system
    does not tell it; it never raises.
    """

    def resident_bytes(self) -> int | None: ...


class ShadowSummaries(Protocol):
    """A running server's shadow summaries (``GET /v1/models/{name}/shadow``).

    ``figures(name)``: every pair of versions the shadow of served model ``name`` has figures
    for, oldest first. Raises ``ModelNotFound`` when ``name`` has no shadow there,
    ``Unauthorized`` / ``Forbidden`` for a key the server refuses, and ``ModelUnavailable`` when
    the server cannot be reached or gives no summary.
    """

    def figures(self, name: str) -> Sequence[ShadowFigures]: ...
