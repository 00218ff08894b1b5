"""The pure core of predictor: schemas, encoding, model references, ports and use cases.

Nothing here imports an adapter, a framework or a cloud SDK; import-linter checks it.
"""
