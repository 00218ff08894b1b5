"""Serving side of the XGBoost adapter: load a model directory and score encoded rows.

Categorical features arrive as float category codes (NaN = missing), the encoding the
domain applies at both ends. A booster trained with ``feature_types='c'`` keeps its
categorical splits (category sets) in the model file, so ``inplace_predict`` on a plain
float32 numpy matrix scores exactly as a ``DMatrix(..., enable_categorical=True)`` does.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import xgboost as xgb

from predictor.domain.errors import InvalidModel
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, ModelRuntime, Scores, ServableModel
from predictor.domain.schema import FeatureKind

# Below this many rows, starting a thread team costs more than it saves.
SMALL_BATCH_ROWS = 256
_SOURCE_PREFIX = re.compile(r"^\[[^\]]*\]\s+\S+:\d+:\s*")


class XGBoostModel(ServableModel):
    """A booster and its manifest. ``predict`` is thread-safe (XGBoost >= 1.4 inplace prediction).

    Two handles on the same trees: a single-threaded one for small batches (the common
    request) and one using every core XGBoost sees for large batches. Each handle's thread
    count is set once here, because changing parameters on a booster that other threads
    are predicting with is not safe.
    """

    def __init__(self, manifest: ModelManifest, booster: xgb.Booster) -> None:
        expected = len(manifest.schema.features)
        if booster.num_features() != expected:
            raise InvalidModel(
                f"the booster reads {booster.num_features()} features but the manifest lists {expected}; "
                "the booster file and manifest.json come from different models"
            )
        self._manifest = manifest
        self._booster = booster
        self._single_thread = booster.copy()
        self._single_thread.set_param({"nthread": 1})
        self._feature_types = [
            "c" if feature.kind is FeatureKind.CATEGORICAL else "q" for feature in manifest.schema.features
        ]

    @property
    def manifest(self) -> ModelManifest:
        return self._manifest

    def predict(self, matrix: Matrix) -> Scores:
        """Positive-class probability (binary), class probabilities (multiclass) or values."""
        rows = np.ascontiguousarray(matrix, dtype=np.float32)
        booster = self._single_thread if len(rows) < SMALL_BATCH_ROWS else self._booster
        try:
            scores = booster.inplace_predict(rows)
        except xgb.core.XGBoostError as exc:
            raise InvalidModel(
                f"the model could not score a batch of shape {rows.shape}: {xgboost_message(exc)}"
            ) from exc
        return np.asarray(scores)

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        """TreeSHAP (``pred_contribs``): XGBoost's last column is the base value."""
        rows = np.ascontiguousarray(matrix, dtype=np.float32)
        small = len(rows) < SMALL_BATCH_ROWS
        booster = self._single_thread if small else self._booster
        try:
            # Contributions need a DMatrix; it must declare the categorical features the
            # booster was trained with, so that their splits read category codes.
            data = xgb.DMatrix(
                rows, feature_types=self._feature_types, enable_categorical=True, nthread=1 if small else -1
            )
            raw = np.asarray(booster.predict(data, pred_contribs=True), dtype=np.float64)
        except xgb.core.XGBoostError as exc:
            raise InvalidModel(
                f"the model could not explain a batch of shape {rows.shape}: {xgboost_message(exc)}"
            ) from exc
        return raw[..., :-1], raw[..., -1]


class XGBoostRuntime(ModelRuntime):
    """Loads directories holding ``manifest.json`` and the booster file it names."""

    def load(self, directory: Path) -> XGBoostModel:
        manifest = ModelManifest.read(directory)
        name = manifest.booster_file
        try:
            # Reading the bytes ourselves gives a plain OSError for a missing file, instead
            # of an XGBoostError whose text carries library paths and a C++ stack trace.
            raw = (directory / name).read_bytes()
        except FileNotFoundError as exc:
            raise InvalidModel(f"the model directory has no booster file {name!r}") from exc
        except OSError as exc:
            raise InvalidModel(f"cannot read the booster file {name!r}: {exc.strerror}") from exc
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(raw))
        except (xgb.core.XGBoostError, ValueError) as exc:
            raise InvalidModel(
                f"the booster file {name!r} is not a model XGBoost {xgb.__version__} can read; "
                "it is corrupt, or was written by an incompatible XGBoost version"
            ) from exc
        return XGBoostModel(manifest, booster)


def xgboost_message(exc: BaseException) -> str:
    """XGBoost's message without its source location prefix and C++ stack trace."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    # "[12:00:00] /path/to/src/file.cc:123: message" -> "message"
    return _SOURCE_PREFIX.sub("", line)
