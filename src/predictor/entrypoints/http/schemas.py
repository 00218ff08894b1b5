"""Pydantic models of the HTTP response bodies: the routes' ``response_model=`` and problem
``responses=``, which document each body in the OpenAPI document.

The endpoints return their own ``Response`` (plain dicts serialised with orjson), so FastAPI
validates nothing against these models per request. Request bodies depend on the
served model's feature schema, known only at run time: ``request_bodies.py`` writes them as
JSON Schema from it; the serving path reads them with orjson, checks the envelope by hand
and leaves each row to the domain's encoder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ClassPrediction(BaseModel):
    label: str | None = Field(
        default=None, description="The predicted class (absent when `output` is `probabilities`)."
    )
    probabilities: dict[str, float] | None = Field(
        default=None,
        description="Every class's probability; they sum to 1 (absent when `output` is `label`).",
    )


class RegressionPrediction(BaseModel):
    value: float


class ModelInfo(BaseModel):
    name: str
    version: str
    alias: str | None
    run_id: str | None


class PredictResponse(BaseModel):
    predictions: list[ClassPrediction | RegressionPrediction]
    model: ModelInfo
    request_id: str


class Explanation(BaseModel):
    contributions: dict[str, float] | dict[str, dict[str, float]] = Field(
        description="Each feature's contribution to the margin (by class, then feature, for multiclass)."
    )
    base_value: float | dict[str, float] = Field(description="The margin with no feature information.")
    margin: float | dict[str, float] = Field(
        description="base_value + the contributions: log-odds (binary), class score (multiclass) or value."
    )


class ExplainResponse(BaseModel):
    explanations: list[Explanation]
    model: ModelInfo
    request_id: str


class FieldProblem(BaseModel):
    row: int | None = Field(description="Index of the row in `instances`; null for the whole request.")
    field: str | None
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem detail (served as application/problem+json)."""

    type: str = Field(examples=["https://predictor.dev/problems/invalid-input"])
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    errors: list[FieldProblem] | None = Field(
        default=None, description="Invalid input: every bad field (up to 100)."
    )
    error: str | None = Field(
        default=None,
        description="Open Inference Protocol routes: the detail again, where V2 clients read it.",
    )
    error_code: str | None = Field(
        default=None,
        examples=["BAD_REQUEST"],
        description="/invocations: the code mlflow models serve would give, where MLflow's clients read it.",
    )
    message: str | None = Field(default=None, description="/invocations: the detail again, as MLflow's.")


class Liveness(BaseModel):
    status: Literal["alive"]


class Readiness(BaseModel):
    status: Literal["ready"]
    model: ModelInfo | None = Field(
        default=None, description="The served model: only for a caller that sends a valid API key."
    )
    models: list[dict[str, Any]] | None = Field(
        default=None, description="With several models, to a caller with a key: each one's state."
    )


class CurrentModel(ModelInfo):
    created_at: datetime | None
    origin: str = Field(description="registry, or cache when the registry could not be reached.")
    feature_schema: dict[str, Any] = Field(alias="schema")
    metrics: dict[str, float]


class VersionInfo(BaseModel):
    version: str
    aliases: list[str]
    created_at: datetime | None
    run_id: str | None
    description: str
    metrics: dict[str, float]


class ModelVersions(BaseModel):
    name: str
    alias: str | None = Field(description="The alias this service follows.")
    serving: str | None = Field(description="The version answering requests now (null before one loads).")
    aliases: dict[str, str] = Field(description="Every alias of the model and the version it names.")
    versions: list[VersionInfo] = Field(description="Newest first.")


class ReloadOutcome(BaseModel):
    outcome: Literal["unchanged", "swapped"]
    name: str
    alias: str | None
    version: str | None = Field(description="The version serving after the reload.")
    previous: str | None = Field(description="The version serving before, when swapped.")


class InvocationsResponse(BaseModel):
    predictions: list[Any] = Field(
        description="Per row: P(positive class) (binary), every class's probability in label order "
        "(multiclass) or the value (regression); with `params.output`, labels, probability lists or "
        "/predict's objects."
    )


class V2Live(BaseModel):
    live: Literal[True]


class V2Ready(BaseModel):
    ready: Literal[True]


class V2ModelReady(BaseModel):
    name: str
    ready: Literal[True]


class V2ServerMetadata(BaseModel):
    name: Literal["predictor"]
    version: str
    extensions: list[str]


class V2TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int]
    parameters: dict[str, Any] | None = Field(
        default=None, description="`categories`: a categorical feature's vocabulary, in code order."
    )


class V2ModelMetadata(BaseModel):
    name: str
    versions: list[str]
    platform: Literal["xgboost"]
    inputs: list[V2TensorMetadata]
    outputs: list[V2TensorMetadata]


class V2OutputTensor(BaseModel):
    name: Literal["label", "probabilities", "value"]
    datatype: Literal["BYTES", "FP64"]
    shape: list[int]
    data: list[str] | list[float]


class V2InferResponse(BaseModel):
    model_name: str
    model_version: str
    id: str
    outputs: list[V2OutputTensor]
