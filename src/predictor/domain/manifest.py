"""The manifest: the JSON contract between training and serving, stored beside the booster."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from predictor.domain.errors import InvalidModel
from predictor.domain.preprocessing import Preprocessing
from predictor.domain.reference import ReferenceProfile
from predictor.domain.schema import FeatureSchema

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelManifest:
    """Everything serving needs besides the booster: schema (with its fitted preprocessing),
    example rows, metrics, and the training data's reference profile for drift (optional: older
    manifests have none, and ``predictor drift`` asks for a retrained model)."""

    schema: FeatureSchema
    booster_file: str
    input_example: tuple[Mapping[str, Any], ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    reference: ReferenceProfile | None = None

    @property
    def preprocessing(self) -> Preprocessing:
        return self.schema.preprocessing

    def to_json(self) -> str:
        body = {
            "format_version": self.format_version,
            "booster_file": self.booster_file,
            "schema": self.schema.as_dict(),
            "input_example": list(self.input_example),
            "metrics": dict(self.metrics),
            "preprocessing": self.preprocessing.as_dict(self.schema.names),
        }
        if self.reference is not None:
            body["reference"] = self.reference.as_dict()
        return json.dumps(body, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelManifest:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidModel(f"the model manifest is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise InvalidModel("the model manifest must be a JSON object")
        version = raw.get("format_version")
        if version != FORMAT_VERSION:
            raise InvalidModel(
                f"unsupported manifest format_version {version!r} (this predictor reads {FORMAT_VERSION})"
            )
        booster_file = raw.get("booster_file")
        if not isinstance(booster_file, str) or not booster_file or "/" in booster_file:
            raise InvalidModel("the model manifest names no booster file")
        example = raw.get("input_example", [])
        if not isinstance(example, list) or not all(isinstance(r, dict) for r in example):
            raise InvalidModel("the manifest's input_example must be a list of rows")
        metrics = raw.get("metrics", {})
        if not isinstance(metrics, dict):
            raise InvalidModel("the manifest's metrics must be an object")
        schema = FeatureSchema.from_dict(raw.get("schema") or {})
        try:
            preprocessing = Preprocessing.from_dict(raw.get("preprocessing") or {}, schema.names)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidModel(f"malformed preprocessing in the manifest: {exc}") from exc
        reference = raw.get("reference")
        if reference is not None and not isinstance(reference, dict):
            raise InvalidModel("the manifest's reference profile must be an object")
        return cls(
            schema=replace(schema, preprocessing=preprocessing),
            booster_file=booster_file,
            input_example=tuple(example),
            metrics={str(k): float(v) for k, v in metrics.items()},
            format_version=version,
            reference=ReferenceProfile.from_dict(reference) if reference is not None else None,
        )
