"""LinearModel: a small real model (least squares) that trains, saves, loads and explains."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from predictor.adapters.files.manifests import read_manifest, write_manifest
from predictor.domain.errors import (
    InvalidModel,
)
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import (
    Boosting,
    Matrix,
    ModelRuntime,
    ModelTrainer,
    Scores,
    TrainedModel,
)
from predictor.domain.ports.training import FitSpec
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.domain.search import FloatParam, SearchPlan

WEIGHTS_FILE = "weights.json"


class LinearModel(TrainedModel):
    """A least-squares model on the encoded features (missing values count as 0)."""

    def __init__(
        self,
        manifest: ModelManifest,
        weights: np.ndarray,
        params: Mapping[str, Any] | None = None,
        history: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        self._manifest = manifest
        self._weights = weights
        self._params = dict(params or {})
        self._history = {k: list(v) for k, v in (history or {}).items()}

    @property
    def manifest(self) -> ModelManifest:
        return self._manifest

    @property
    def native(self) -> object:
        return self._weights

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def history(self) -> Mapping[str, Sequence[float]]:
        return self._history

    @property
    def feature_importance(self) -> Mapping[str, float]:
        """The absolute weight of each feature, summed over outputs."""
        magnitude = np.abs(self._weights[:-1]).sum(axis=1)
        return {name: float(v) for name, v in zip(self._manifest.schema.names, magnitude, strict=True)}

    def predict(self, matrix: Matrix) -> Scores:
        design = np.column_stack([np.nan_to_num(matrix.astype(np.float64)), np.ones(len(matrix))])
        raw = design @ self._weights
        task = self._manifest.schema.target.task
        if task is TaskType.REGRESSION:
            return np.asarray(raw[:, 0])
        if task is TaskType.BINARY:
            return np.asarray(np.exp(-np.logaddexp(0.0, -raw[:, 0])))  # the sigmoid, without overflow
        shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        """Exact for a linear model: weight x value per feature, the bias as base value."""
        values = np.nan_to_num(matrix.astype(np.float64))
        weights, bias = self._weights[:-1], self._weights[-1]
        # rows x features x outputs, then rows x outputs x features.
        parts = np.transpose(values[:, :, None] * weights[None, :, :], (0, 2, 1))
        base = np.broadcast_to(bias, (len(values), len(bias))).copy()
        if self._manifest.schema.target.task is not TaskType.MULTICLASS:
            return parts[:, 0, :], base[:, 0]
        return parts, base

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / WEIGHTS_FILE).write_text(json.dumps(self._weights.tolist()))
        write_manifest(self._manifest, directory)

    def with_manifest(self, manifest: ModelManifest) -> LinearModel:
        return LinearModel(manifest, self._weights, self._params, self._history)


class LinearModelTrainer(ModelTrainer):
    """Fits ``LinearModel``: least squares on one-hot (classification) or raw (regression)
    targets, with an optional ridge penalty (``params["ridge"]``, the one parameter it tunes)."""

    def __init__(self) -> None:
        self.fits: list[Mapping[str, Any]] = []

    def fit(self, spec: FitSpec) -> LinearModel:
        matrix, truth = spec.train
        manifest = spec.manifest
        task = manifest.schema.target.task
        design = np.column_stack([np.nan_to_num(matrix.astype(np.float64)), np.ones(len(matrix))])
        if task is TaskType.REGRESSION:
            goal = truth.reshape(-1, 1)
        elif task is TaskType.BINARY:
            goal = (truth.reshape(-1, 1) * 8.0) - 4.0  # a logit-ish target for the sigmoid
        else:
            goal = np.eye(len(manifest.schema.target.labels))[truth.astype(int)] * 8.0 - 4.0
        ridge = float(spec.params.get("ridge", 0.0))
        if ridge > 0:  # least squares on extra rows sqrt(ridge) * I -> 0 is ridge regression
            design = np.vstack([design, np.sqrt(ridge) * np.eye(design.shape[1])])
            goal = np.vstack([goal, np.zeros((design.shape[1], goal.shape[1]))])
        weights, *_ = np.linalg.lstsq(design, goal, rcond=None)
        self.fits.append(
            {"params": dict(spec.params), "seed": spec.seed, "rows": len(matrix), "threads": spec.threads,
             "rounds": spec.rounds, "patience": spec.patience}
        )  # fmt: skip
        params = {**spec.params, "seed": spec.seed}
        model = LinearModel(replace(manifest, booster_file=WEIGHTS_FILE), weights, params)
        # One "round": the validation RMSE of the scores, so tuning has something to compare.
        valid_matrix, valid_truth = spec.valid
        scores = model.predict(valid_matrix)
        if scores.ndim == 2:
            scores = scores[np.arange(len(valid_truth)), valid_truth.astype(int)]
            valid_truth = np.ones(len(valid_truth))
        rmse = float(np.sqrt(np.mean((scores - valid_truth) ** 2)))
        return LinearModel(model.manifest, weights, model.params, {"rmse": [rmse]})

    def start(self, spec: FitSpec) -> Boosting:
        return _OneRound(lambda: self.fit(spec))

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        """The ridge penalty, scored on the validation RMSE; a fit is one round."""
        return SearchPlan((FloatParam("ridge", 1e-6, 10.0, log=True),), "rmse", False, rounds=1, patience=0)


class _OneRound(Boosting):
    """A least-squares fit is one "round": its validation RMSE, then no more rounds."""

    def __init__(self, fit: Callable[[], LinearModel]) -> None:
        self._fit: Callable[[], LinearModel] | None = fit

    def next_round(self) -> Mapping[str, float] | None:
        if self._fit is None:
            return None
        model, self._fit = self._fit(), None
        return {name: values[-1] for name, values in model.history.items()}


class LinearModelRuntime(ModelRuntime):
    """Loads directories written by ``LinearModel.save``."""

    def load(self, directory: Path) -> LinearModel:
        manifest = read_manifest(directory)
        try:
            weights = np.asarray(
                json.loads((directory / manifest.booster_file).read_text()), dtype=np.float64
            )
        except (OSError, ValueError) as exc:
            raise InvalidModel(f"cannot read the weights in {directory.name}: {exc}") from exc
        return LinearModel(manifest, weights)

    def load_downloaded(self, download: Callable[[Path], Path]) -> LinearModel:
        with tempfile.TemporaryDirectory(prefix="predictor-model-") as scratch:
            return self.load(download(Path(scratch)))
