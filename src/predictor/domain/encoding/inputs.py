"""The shapes of input a client can send, each encoded by the model's ``RowEncoder``.

- ``Records``: rows as objects by feature name (``/predict``'s ``instances``).
- ``NamedRows``: column names and rows as lists (MLflow's ``dataframe_split``, CSV).
- ``Columns``: one sequence of values per feature (Open Inference Protocol tensors, file chunks).
- ``FeatureMatrix``: a flat, row-major numeric matrix in schema order, categories as codes.

Every shape applies the same converters (``predictor.domain.encoding.values``) and the same fitted
preprocessing, and reports bad fields as ``InvalidInput`` with the row index (0-based) and the
field: the same rows give the same matrix whatever the shape. Sequences of plain numbers and
numpy arrays are converted column at a time; anything else cell by cell
(``predictor.domain.encoding.columns``). The row-wise shapes are in ``row_inputs``, the
column-wise ones in ``column_inputs``; this module is where callers import them from.
"""

from __future__ import annotations

from typing import Protocol

from predictor.domain.encoding.column_inputs import Columns, FeatureMatrix
from predictor.domain.encoding.row_inputs import NamedRows, Records
from predictor.domain.encoding.rows import EncodedRows, RowEncoder

__all__ = ["Columns", "FeatureMatrix", "ModelInput", "NamedRows", "Records"]


class ModelInput(Protocol):
    """Rows in one of the shapes above: how many (None when the shape is wrong), and their encoding."""

    @property
    def size(self) -> int | None: ...

    def encode(self, encoder: RowEncoder) -> EncodedRows: ...
