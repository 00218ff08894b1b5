"""The logged model directory: an MLflow xgboost-flavor model with predictor's manifest beside it.

    model/
      MLmodel, conda.yaml, python_env.yaml, requirements.txt   MLflow's description
      input_example.json, serving_input_example.json           MLflow's example request
      model.ubj                                                 the booster (one copy, both read it)
      manifest.json                                             predictor's contract

``mlflow models serve`` and ``mlflow.pyfunc`` read ``MLmodel``; predictor's serving reads
``manifest.json`` and ``model.ubj`` without importing mlflow.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.xgboost
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature

from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import InvalidInput, InvalidModel
from predictor.domain.ports import TrainedModel


def save_model_directory(model: TrainedModel, directory: Path) -> None:
    """Write ``model`` as an MLflow model directory when it is an XGBoost booster; any
    other model (the in-memory fakes) is written as a plain predictor directory."""
    native = model.native
    if type(native).__module__.split(".")[0] == "xgboost":
        example, signature = _example_and_signature(model)
        mlflow.xgboost.save_model(
            native,
            str(directory),
            model_format="ubj",
            signature=signature,
            input_example=example,
            # Naming the requirement skips MLflow's inference, which imports the model in a
            # subprocess and takes seconds.
            pip_requirements=mlflow.xgboost.get_default_pip_requirements(),
        )
    # Same booster file name as MLflow's (model.ubj): this overwrites it with identical
    # trees and adds manifest.json, so the directory holds one copy of the booster.
    model.save(directory)


def _example_and_signature(model: TrainedModel) -> tuple[pd.DataFrame | None, ModelSignature | None]:
    """The manifest's example rows, encoded as the MLflow flavor reads them.

    MLflow's xgboost flavor hands a DataFrame straight to XGBoost, so the signature
    describes the encoded features (category codes as numbers, missing as NaN), not the
    raw strings predictor's own API accepts.
    """
    manifest = model.manifest
    if not manifest.input_example:
        return None, None
    try:
        matrix = RowEncoder(manifest.schema).encode(list(manifest.input_example)).matrix
    except InvalidInput as exc:
        raise InvalidModel(f"the model's input example does not fit its schema: {exc}") from exc
    # float64 columns: JSON numbers arrive as doubles, and a "double" signature accepts them as-is.
    frame = pd.DataFrame(matrix.astype(np.float64), columns=list(manifest.schema.names))
    return frame, infer_signature(frame, np.asarray(model.predict(matrix)))
