"""A fit on the cluster with ``xgboost.dask``: the rows are Dask arrays kept on the workers,
the training rows quantised once into a ``DaskQuantileDMatrix`` (the validation rows against the
same bins), trained by ``train_on_cluster`` (collective.py: a lost worker fails the run in one
line), and the booster comes back as the single-process trainer's model type. Each worker trains
with as many threads as it has (no ``nthread``: xgboost.dask takes the worker's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import xgboost as xgb
import xgboost.dask as dxgb
from distributed import Client

from predictor.adapters.dask.collective import Collective, train_on_cluster
from predictor.adapters.xgboost.native import clean_message
from predictor.adapters.xgboost.trained import XGBoostTrainedModel
from predictor.adapters.xgboost.trainer import BOOSTER_FILE, training_error, training_settings
from predictor.domain.ports.cluster import ClusterFit
from predictor.domain.schema import FeatureKind, FeatureSchema

Rows = tuple[Any, Any]  # a Dask array of features and one of the encoded target


def fit_on_cluster(
    client: Client, train: Rows, valid: Rows, spec: ClusterFit, collective: Collective | None = None
) -> XGBoostTrainedModel:
    """Fit on ``train``, stopping early on ``valid``. Raises ``DataError`` when XGBoost cannot
    train on the rows, ``ConfigurationError`` when a worker is lost."""
    schema = spec.manifest.schema
    settings, rounds, patience = training_settings(schema, spec.params, spec.seed, spec.rounds, spec.patience)
    settings.pop("nthread", None)
    types = _feature_types(schema)
    try:
        dtrain = dxgb.DaskQuantileDMatrix(client, *train, feature_types=types, enable_categorical=True)
        dvalid = dxgb.DaskQuantileDMatrix(
            client, *valid, feature_types=types, enable_categorical=True, ref=dtrain
        )
        output = train_on_cluster(client, settings, dtrain, dvalid, rounds, patience or None, collective)
    except xgb.core.XGBoostError as exc:
        raise training_error(clean_message(str(exc))) from exc
    booster: xgb.Booster = output["booster"]
    if patience:
        booster = booster[: booster.best_iteration + 1]
    history = _history(output.get("history", {}))
    recorded = {
        **settings,
        "num_boost_round": rounds,
        "early_stopping_rounds": patience,
        "best_iteration": booster.num_boosted_rounds() - 1,
    }
    return XGBoostTrainedModel(replace(spec.manifest, booster_file=BOOSTER_FILE), booster, recorded, history)


def _feature_types(schema: FeatureSchema) -> list[str]:
    return ["c" if f.kind is FeatureKind.CATEGORICAL else "q" for f in schema.features]


def _history(evals: Mapping[str, Any]) -> dict[str, list[float]]:
    return {str(k): [float(v) for v in values] for k, values in evals.get("valid", {}).items()}
