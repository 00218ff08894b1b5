"""The MLflow adapters: tracking, the registry and the model flavour.

predictor sends none of MLflow's usage telemetry (MLflow's client posts it to a host outside
this machine): the default below is set before any module here imports mlflow. Set
``MLFLOW_DISABLE_TELEMETRY=false`` to let MLflow send it.
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
