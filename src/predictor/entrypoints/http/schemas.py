"""Pydantic models of the HTTP bodies, for the OpenAPI document only: imported when the
document is first asked for (``openapi.py``), never by the serving path.

Request bodies are not parsed through these on the hot path: ``/predict`` reads its body
with orjson and checks the envelope by hand (see ``routes/predict.py``), and the domain's
row encoder checks each row against the served model's schema, which is only known at run
time. Responses are built as plain dicts and serialised with orjson.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FeatureValue = float | str | None


class PredictRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"instances": [{"mean radius": 14.1, "mean texture": 19.3}]}]},
    )

    instances: list[dict[str, FeatureValue]] = Field(
        min_length=1,
        description="Rows to predict: each an object with every feature of the model "
        "(null for an unknown value), and no other key.",
    )
    parameters: PredictionParameters | None = None


class PredictionParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    output: Literal["label", "probabilities", "both"] = Field(
        default="both", description="What each row answers with (classifiers)."
    )
    threshold: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Binary classifiers: the positive label when P(positive) >= threshold "
        "(default PREDICTOR_DECISION_THRESHOLD).",
    )


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
    errors: list[FieldProblem] | None = None


class Liveness(BaseModel):
    status: Literal["alive"]


class Readiness(BaseModel):
    status: Literal["ready"]
    model: ModelInfo


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
