"""The service's routers, one per protocol: predict and explain, MLflow's scoring protocol, the
Open Inference Protocol (v2), the served model, health, metrics and the API docs."""
