"""Serving side of the XGBoost adapter: load a model directory and score encoded rows.

Serving calls libxgboost directly (``native.py``), so a serving process never imports the
``xgboost`` package, nor scipy with it. Categorical features arrive as float category codes
(NaN = missing), the encoding the domain applies at both ends. A booster trained with
``feature_types='c'`` keeps its categorical splits (category sets) in the model file, so
inplace prediction on a plain float32 matrix scores exactly as a
``DMatrix(..., enable_categorical=True)`` does.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from predictor.adapters.files.manifests import read_manifest
from predictor.adapters.xgboost.native import NativeBooster, XGBoostLibraryError, library_version
from predictor.domain.errors import InvalidModel
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, ModelRuntime, Scores, ServableModel
from predictor.domain.schema import FeatureKind

# Below this many rows, starting a thread team costs more than it saves.
SMALL_BATCH_ROWS = 256


class XGBoostModel(ServableModel):
    """A booster and its manifest. ``predict`` is thread-safe (XGBoost's inplace prediction).

    Two handles on the same trees: a single-threaded one for small batches (the common
    request), loaded with the model, and one using every core XGBoost sees for large
    batches, loaded from the same bytes on the first large batch (a second load that a
    service's start-up need not wait for).
    """

    def __init__(self, manifest: ModelManifest, raw: bytes) -> None:
        try:
            self._single_thread = NativeBooster(raw, threads=1)
        except XGBoostLibraryError as exc:
            raise InvalidModel(
                f"the booster file {manifest.booster_file!r} is not a model XGBoost {library_version()} "
                "can read; it is corrupt, or was written by an incompatible XGBoost version"
            ) from exc
        expected = len(manifest.schema.features)
        if self._single_thread.num_features != expected:
            raise InvalidModel(
                f"the booster reads {self._single_thread.num_features} features but the manifest lists "
                f"{expected}; the booster file and manifest.json come from different models"
            )
        self._raw = raw
        self._all_cores: NativeBooster | None = None
        self._loading = threading.Lock()
        self._manifest = manifest
        self._feature_types = [
            "c" if feature.kind is FeatureKind.CATEGORICAL else "q" for feature in manifest.schema.features
        ]

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as its manifest and booster bytes (library handles and locks do not pickle):
        # a Dask worker rebuilds the model once from what the client scattered.
        return type(self), (self._manifest, self._raw)

    @property
    def manifest(self) -> ModelManifest:
        return self._manifest

    def _handle_for(self, rows: int) -> NativeBooster:
        if rows < SMALL_BATCH_ROWS:
            return self._single_thread
        if self._all_cores is None:
            with self._loading:
                if self._all_cores is None:
                    self._all_cores = NativeBooster(self._raw)
        return self._all_cores

    def predict(self, matrix: Matrix) -> Scores:
        """Positive-class probability (binary), class probabilities (multiclass) or values."""
        try:
            return self._handle_for(len(matrix)).predict(matrix)
        except XGBoostLibraryError as exc:
            raise InvalidModel(
                f"the model could not score a batch of shape {np.shape(matrix)}: {exc}"
            ) from exc

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        """TreeSHAP (``pred_contribs``): XGBoost's last column is the base value."""
        try:
            raw = self._handle_for(len(matrix)).contributions(matrix, self._feature_types)
        except XGBoostLibraryError as exc:
            raise InvalidModel(
                f"the model could not explain a batch of shape {np.shape(matrix)}: {exc}"
            ) from exc
        values = np.asarray(raw, dtype=np.float64)
        return values[..., :-1], values[..., -1]


class XGBoostRuntime(ModelRuntime):
    """Loads directories holding ``manifest.json`` and the booster file it names."""

    def load(self, directory: Path) -> XGBoostModel:
        manifest = read_manifest(directory)
        name = manifest.booster_file
        try:
            # Reading the bytes ourselves gives a plain OSError for a missing file, instead
            # of an XGBoost error whose text carries library paths and a C++ stack trace.
            raw = (directory / name).read_bytes()
        except FileNotFoundError as exc:
            raise InvalidModel(f"the model directory has no booster file {name!r}") from exc
        except OSError as exc:
            raise InvalidModel(f"cannot read the booster file {name!r}: {exc.strerror}") from exc
        return XGBoostModel(manifest, raw)

    def load_downloaded(self, download: Callable[[Path], Path]) -> XGBoostModel:
        with tempfile.TemporaryDirectory(prefix="predictor-model-") as scratch:
            return self.load(download(Path(scratch)))
