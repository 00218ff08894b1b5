"""The protocols the service speaks, one module each, transport-neutral (bytes in, values out):

- ``predictor``: the service's own ``{"instances": [...]}`` envelope;
- ``mlflow``: MLflow's scoring protocol (``mlflow models serve``), JSON and CSV;
- ``v2``: the Open Inference Protocol (KServe V2), JSON tensors;
- ``json_body``: the strict JSON reading they share.
"""
