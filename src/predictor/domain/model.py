"""Model references, registered versions and the predictions a model makes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from predictor.domain.errors import FieldError, InvalidInput

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_REF = re.compile(rf"^(?:models:/)?(?P<name>{_NAME})(?:@(?P<alias>{_NAME})|/(?P<version>\d+))$")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A registered model by alias (``name@alias``) or by version (``name/3``)."""

    name: str
    alias: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if (self.alias is None) == (self.version is None):
            raise ValueError("a model reference names exactly one of alias or version")

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        match = _REF.match(text.strip())
        if match is None:
            raise InvalidInput(
                [FieldError(None, "model", f"{text!r} is not a model reference")],
                summary=f"{text!r} is not a model reference; use NAME@ALIAS, NAME/VERSION "
                "or models:/NAME@ALIAS",
            )
        return cls(match["name"], alias=match["alias"], version=match["version"])

    @property
    def uri(self) -> str:
        tail = f"@{self.alias}" if self.alias is not None else f"/{self.version}"
        return f"models:/{self.name}{tail}"

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True)
class ModelVersion:
    """One registered version, as the registry describes it."""

    name: str
    version: str
    run_id: str | None = None
    created_at: datetime | None = None
    aliases: tuple[str, ...] = ()
    source: str = ""
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (``created_at`` in ISO 8601), read back by ``from_dict``."""
        return {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "aliases": list(self.aliases),
            "source": self.source,
            "description": self.description,
            "tags": dict(self.tags),
            "metrics": dict(self.metrics),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ModelVersion:
        """Raises KeyError, TypeError or ValueError for a record ``as_dict`` did not write."""
        created = raw.get("created_at")
        return cls(
            name=str(raw["name"]),
            version=str(raw["version"]),
            run_id=raw.get("run_id"),
            created_at=datetime.fromisoformat(created) if created else None,
            aliases=tuple(str(a) for a in raw.get("aliases", ())),
            source=str(raw.get("source", "")),
            description=str(raw.get("description", "")),
            tags={str(k): str(v) for k, v in raw.get("tags", {}).items()},
            metrics={str(k): float(v) for k, v in raw.get("metrics", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Prediction:
    """One row's answer: a label and class probabilities, or a value."""

    label: str | None = None
    probabilities: Mapping[str, float] | None = None
    value: float | None = None

    def as_dict(self) -> dict[str, object]:
        if self.value is not None:
            return {"value": self.value}
        out: dict[str, object] = {}
        if self.label is not None:
            out["label"] = self.label
        if self.probabilities is not None:
            out["probabilities"] = self.probabilities
        return out
