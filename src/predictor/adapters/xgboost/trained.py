"""A booster fresh from training, as the ``TrainedModel`` port: it saves, scores and explains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xgboost as xgb

from predictor.adapters.files.manifests import write_manifest
from predictor.adapters.xgboost.runtime import XGBoostModel
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, Scores, TrainedModel


class XGBoostTrainedModel(TrainedModel):
    """A booster fresh from training, cut to its best iteration, so that what is saved,
    served and evaluated are the same trees; with its parameters and validation history.

    It scores through the serving path (the booster's bytes loaded into libxgboost), so an
    evaluation measures exactly what ``predictor serve`` will answer. That load happens on
    the first prediction: tuning trains a model per trial and fold and never scores them."""

    def __init__(
        self,
        manifest: ModelManifest,
        booster: xgb.Booster,
        params: Mapping[str, Any] | None = None,
        history: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        self._manifest = manifest
        self._booster = booster
        self._params = dict(params or {})
        self._history = {k: list(v) for k, v in (history or {}).items()}
        self._served: XGBoostModel | None = None

    @property
    def manifest(self) -> ModelManifest:
        return self._manifest

    def _serving(self) -> XGBoostModel:
        if self._served is None:
            self._served = XGBoostModel(self._manifest, bytes(self._booster.save_raw("ubj")))
        return self._served

    def predict(self, matrix: Matrix) -> Scores:
        return self._serving().predict(matrix)

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        return self._serving().contributions(matrix)

    @property
    def native(self) -> xgb.Booster:
        return self._booster

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def history(self) -> Mapping[str, Sequence[float]]:
        return self._history

    @property
    def feature_importance(self) -> Mapping[str, float]:
        """Total gain per feature (XGBoost names features f0, f1, … in schema order)."""
        gains = self._booster.get_score(importance_type="total_gain")
        # get_score gives lists only for vector-leaf trees, which predictor does not train.
        return {
            name: float(gain)
            if isinstance(gain := gains.get(f"f{j}", 0.0), float | int)
            else float(sum(gain))
            for j, name in enumerate(self.manifest.schema.names)
        }

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._booster.save_model(directory / self.manifest.booster_file)
        write_manifest(self.manifest, directory)

    def with_manifest(self, manifest: ModelManifest) -> XGBoostTrainedModel:
        return XGBoostTrainedModel(manifest, self._booster, self._params, self._history)
