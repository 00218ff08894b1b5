"""Training side of the XGBoost adapter: ``xgboost.train`` with early stopping on the validation
rows, or a booster stepped one round at a time for cross-validation."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import xgboost as xgb

from predictor.adapters.xgboost.native import XGBoostLibraryError, boost_round, clean_message
from predictor.adapters.xgboost.runtime import XGBoostModel
from predictor.domain.errors import DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Boosting, Matrix, ModelTrainer, Scores, TrainedModel
from predictor.domain.schema import FeatureKind, FeatureSchema, TaskType

BOOSTER_FILE = "model.ubj"
MAX_ROUNDS = 200
EARLY_STOPPING_ROUNDS = 20
# Objective and early-stopping metric per task; users may override either through params.
_OBJECTIVES: Mapping[TaskType, tuple[str, str]] = {
    # Log loss, not AUC: on a small validation split AUC saturates after a few rounds and
    # stops training early; log loss keeps measuring how well the probabilities separate.
    TaskType.BINARY: ("binary:logistic", "logloss"),
    TaskType.MULTICLASS: ("multi:softprob", "mlogloss"),
    TaskType.REGRESSION: ("reg:squarederror", "rmse"),
}


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
        self.manifest.write(directory)

    def with_manifest(self, manifest: ModelManifest) -> XGBoostTrainedModel:
        return XGBoostTrainedModel(manifest, self._booster, self._params, self._history)


class XGBoostRounds(Boosting):
    """A booster trained one round at a time, scored on the validation rows after each round:
    the calls ``xgboost.train`` makes, in the same order, straight into libxgboost."""

    def __init__(self, booster: xgb.Booster, train: xgb.DMatrix, valid: xgb.DMatrix, rounds: int) -> None:
        if booster.handle is None:
            raise ValueError("this booster has been freed")
        # The Python objects own the handles: keep them alive as long as the handles are used.
        self._owners = (booster, train, valid)
        self._handles = (booster.handle, train.handle, valid.handle)
        self._rounds = rounds
        self._round = 0

    def next_round(self) -> dict[str, float] | None:
        if self._round >= self._rounds:
            return None
        try:
            text = boost_round(*self._handles, self._round)
        except XGBoostLibraryError as exc:
            raise _training_error(str(exc)) from exc
        self._round += 1
        return {
            name.removeprefix("valid-"): float(value)
            for name, _, value in (item.rpartition(":") for item in text.split("\t")[1:])
        }


def available_cpus() -> int:
    """CPUs this process may run on (honours affinity masks, unlike ``os.cpu_count``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class XGBoostTrainer(ModelTrainer):
    """Fits a booster with fixed ``seed`` and ``nthread``: the same data, seed, params and
    thread count give byte-identical model files.

    ``params`` are XGBoost parameters overriding the defaults (``max_depth`` 6, ``eta`` 0.1,
    the task's objective and metric), plus ``num_boost_round`` (default 200) and
    ``early_stopping_rounds`` (default 20). ``nthread`` defaults to the CPUs available here;
    pass it in ``params`` to reproduce a run made on another machine.
    """

    def __init__(self, nthread: int | None = None) -> None:
        self._nthread = nthread or available_cpus()

    def fit(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
        threads: int | None = None,
    ) -> XGBoostTrainedModel:
        settings, rounds, patience = self._settings(manifest.schema, params, seed, threads)
        dtrain, dvalid = _dmatrices(manifest.schema, train, valid, settings)
        evals_result: dict[str, Any] = {}
        try:
            booster = xgb.train(
                settings,
                dtrain,
                num_boost_round=rounds,
                evals=[(dvalid, "valid")],
                # 0 turns early stopping off (every round is kept).
                early_stopping_rounds=patience or None,
                evals_result=evals_result,
                verbose_eval=False,
            )
        except xgb.core.XGBoostError as exc:
            raise _training_error(clean_message(str(exc))) from exc
        # Keep only the trees up to the best validation score: saving the sliced booster
        # makes serving agree with evaluation without carrying an iteration range around.
        if patience:
            booster = booster[: booster.best_iteration + 1]
        history = {str(k): [float(v) for v in values] for k, values in evals_result.get("valid", {}).items()}
        recorded = {
            **settings,
            "num_boost_round": rounds,
            "early_stopping_rounds": patience,
            "best_iteration": booster.num_boosted_rounds() - 1,
        }
        return XGBoostTrainedModel(replace(manifest, booster_file=BOOSTER_FILE), booster, recorded, history)

    def start(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
        threads: int | None = None,
    ) -> XGBoostRounds:
        settings, rounds, _ = self._settings(manifest.schema, params, seed, threads)
        dtrain, dvalid = _dmatrices(manifest.schema, train, valid, settings)
        try:
            booster = xgb.Booster(settings, [dtrain, dvalid])
        except xgb.core.XGBoostError as exc:
            raise _training_error(clean_message(str(exc))) from exc
        return XGBoostRounds(booster, dtrain, dvalid, rounds)

    def _settings(
        self, schema: FeatureSchema, params: Mapping[str, Any], seed: int, threads: int | None
    ) -> tuple[dict[str, Any], int, int]:
        """XGBoost's parameters, the number of rounds and the early-stopping patience."""
        options = dict(params)
        rounds = int(options.pop("num_boost_round", MAX_ROUNDS))
        patience = int(options.pop("early_stopping_rounds", EARLY_STOPPING_ROUNDS))
        settings = {**self._defaults(schema), "seed": seed, **options}
        if threads is not None:
            settings["nthread"] = threads
        return settings, rounds, patience

    def _defaults(self, schema: FeatureSchema) -> dict[str, Any]:
        task = schema.target.task
        objective, metric = _OBJECTIVES[task]
        defaults: dict[str, Any] = {
            "objective": objective,
            "eval_metric": metric,
            "max_depth": 6,
            "eta": 0.1,
            "tree_method": "hist",
            "nthread": self._nthread,
        }
        if task is TaskType.MULTICLASS:
            defaults["num_class"] = len(schema.target.labels)
        return defaults


def _training_error(message: str) -> DataError:
    return DataError(f"XGBoost could not train on this data with these parameters: {message}")


def _dmatrices(
    schema: FeatureSchema,
    train: tuple[Matrix, Scores],
    valid: tuple[Matrix, Scores],
    settings: Mapping[str, Any],
) -> tuple[xgb.DMatrix, xgb.DMatrix]:
    """The training and validation rows as XGBoost matrices, built with the booster's threads."""
    threads = int(settings["nthread"])
    return _dmatrix(schema, *train, threads), _dmatrix(schema, *valid, threads)


def _dmatrix(schema: FeatureSchema, matrix: Matrix, truth: Scores, nthread: int) -> xgb.DMatrix:
    # No feature names: columns are matched by position, in the manifest's schema order, as
    # predictor and MLflow's pyfunc (which orders columns by the signature) both send them.
    # Named boosters would refuse every unnamed DMatrix, and XGBoost forbids "[", "]", "<" in names.
    return xgb.DMatrix(
        matrix,
        label=truth,
        feature_types=["c" if f.kind is FeatureKind.CATEGORICAL else "q" for f in schema.features],
        enable_categorical=True,
        nthread=nthread,
    )
