"""Training side of the XGBoost adapter: ``xgboost.train`` with early stopping on the validation
rows, or a booster stepped one round at a time for cross-validation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import xgboost as xgb

from predictor.adapters.xgboost.native import XGBoostLibraryError, boost_round, clean_message
from predictor.adapters.xgboost.search import EARLY_STOPPING_ROUNDS, MAX_ROUNDS, OBJECTIVES, search_plan
from predictor.adapters.xgboost.trained import XGBoostTrainedModel
from predictor.domain.errors import DataError
from predictor.domain.ports import Boosting, Matrix, ModelTrainer, Scores
from predictor.domain.ports.training import FitSpec, Rows
from predictor.domain.schema import FeatureKind, FeatureSchema, TaskType
from predictor.domain.search import SearchPlan

__all__ = ["BOOSTER_FILE", "XGBoostRounds", "XGBoostTrainedModel", "XGBoostTrainer", "available_cpus"]

BOOSTER_FILE = "model.ubj"


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
            raise training_error(str(exc)) from exc
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

    ``spec.params`` are XGBoost parameters overriding the defaults (``max_depth`` 6, ``eta`` 0.1,
    the task's objective and metric), plus ``num_boost_round`` (default 200) and
    ``early_stopping_rounds`` (default 20), which ``spec.rounds`` and ``spec.patience`` override.
    ``nthread`` defaults to the CPUs available here; pass it in ``params`` to reproduce a run
    made on another machine.
    """

    def __init__(self, nthread: int | None = None) -> None:
        self._nthread = nthread or available_cpus()

    def fit(self, spec: FitSpec) -> XGBoostTrainedModel:
        settings, rounds, patience = self._settings(spec)
        dtrain, dvalid = _dmatrices(spec.manifest.schema, spec.train, spec.valid, settings)
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
            raise training_error(clean_message(str(exc))) from exc
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
        manifest = replace(spec.manifest, booster_file=BOOSTER_FILE)
        return XGBoostTrainedModel(manifest, booster, recorded, history)

    def start(self, spec: FitSpec) -> XGBoostRounds:
        settings, rounds, _ = self._settings(spec)
        dtrain, dvalid = _dmatrices(spec.manifest.schema, spec.train, spec.valid, settings)
        try:
            booster = xgb.Booster(settings, [dtrain, dvalid])
        except xgb.core.XGBoostError as exc:
            raise training_error(clean_message(str(exc))) from exc
        return XGBoostRounds(booster, dtrain, dvalid, rounds)

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        return search_plan(schema.target.task, params)

    def _settings(self, spec: FitSpec) -> tuple[dict[str, Any], int, int]:
        settings, rounds, patience = training_settings(
            spec.manifest.schema, spec.params, spec.seed, spec.rounds, spec.patience
        )
        settings = {"nthread": self._nthread, **settings}
        if spec.threads is not None:
            settings["nthread"] = spec.threads
        return settings, rounds, patience


def training_settings(
    schema: FeatureSchema, params: Mapping[str, Any], seed: int, rounds: int | None, patience: int | None
) -> tuple[dict[str, Any], int, int]:
    """XGBoost's parameters (the task's defaults, the seed, then ``params``), the number of
    rounds and the early-stopping patience (``rounds`` and ``patience`` win over ``params``)."""
    options = dict(params)
    given_rounds = int(options.pop("num_boost_round", MAX_ROUNDS))
    given_patience = int(options.pop("early_stopping_rounds", EARLY_STOPPING_ROUNDS))
    task = schema.target.task
    objective, metric = OBJECTIVES[task]
    defaults: dict[str, Any] = {
        "objective": objective,
        "eval_metric": metric,
        "max_depth": 6,
        "eta": 0.1,
        "tree_method": "hist",
    }
    if task is TaskType.MULTICLASS:
        defaults["num_class"] = len(schema.target.labels)
    settings = {**defaults, "seed": seed, **options}
    return (
        settings,
        given_rounds if rounds is None else rounds,
        given_patience if patience is None else patience,
    )


def training_error(message: str) -> DataError:
    return DataError(f"XGBoost could not train on this data with these parameters: {message}")


def _dmatrices(
    schema: FeatureSchema, train: Rows, valid: Rows, settings: Mapping[str, Any]
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
