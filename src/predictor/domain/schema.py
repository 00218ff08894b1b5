"""What a model expects: its features, in order, and what it predicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from predictor.domain.errors import InvalidModel
from predictor.domain.preprocessing import Preprocessing


class TaskType(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not TaskType.REGRESSION


class FeatureKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass(frozen=True, slots=True)
class Feature:
    """One input column. A categorical feature carries its vocabulary, in code order."""

    name: str
    kind: FeatureKind = FeatureKind.NUMERIC
    categories: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "kind": self.kind.value}
        if self.kind is FeatureKind.CATEGORICAL:
            out["categories"] = list(self.categories)
        return out


@dataclass(frozen=True, slots=True)
class Target:
    """The predicted column. Classification targets list their class names in class-index order."""

    name: str
    task: TaskType
    labels: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "task": self.task.value, "labels": list(self.labels)}


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The ordered features a model reads and the target it predicts.

    ``preprocessing`` (imputation, scaling) is fitted with the vocabularies and travels with
    them, so every ``RowEncoder(schema)`` applies it; the manifest stores it under its own
    key, and ``as_dict`` (the clients' view of the schema) leaves it out.
    """

    features: tuple[Feature, ...]
    target: Target
    preprocessing: Preprocessing = Preprocessing()  # noqa: RUF009  # frozen, so one shared default is safe

    def __post_init__(self) -> None:
        if not self.features:
            raise InvalidModel("a feature schema needs at least one feature")
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise InvalidModel(f"duplicate feature names in schema: {dupes}")
        for feature in self.features:
            if feature.kind is FeatureKind.CATEGORICAL and not feature.categories:
                raise InvalidModel(f"categorical feature {feature.name!r} has no vocabulary")
        task = self.target.task
        if task is TaskType.BINARY and len(self.target.labels) != 2:
            raise InvalidModel("a binary target needs exactly two labels")
        if task is TaskType.MULTICLASS and len(self.target.labels) < 3:
            raise InvalidModel("a multiclass target needs at least three labels")
        prep = self.preprocessing
        if any(len(values) not in (0, len(self.features)) for values in (prep.fill, prep.center, prep.scale)):
            raise InvalidModel("the preprocessing does not have one value per feature")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def as_dict(self) -> dict[str, object]:
        return {
            "features": [f.as_dict() for f in self.features],
            "target": self.target.as_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> FeatureSchema:
        try:
            features_raw = raw["features"]
            target_raw = raw["target"]
            if not isinstance(features_raw, list) or not isinstance(target_raw, Mapping):
                raise TypeError("features must be a list and target an object")
            features = tuple(
                Feature(
                    name=str(f["name"]),
                    kind=FeatureKind(f.get("kind", "numeric")),
                    categories=tuple(str(c) for c in f.get("categories", ())),
                )
                for f in features_raw
            )
            target = Target(
                name=str(target_raw["name"]),
                task=TaskType(target_raw["task"]),
                labels=tuple(str(label) for label in target_raw.get("labels", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidModel(f"malformed feature schema: {exc!r}") from exc
        return cls(features=features, target=target)
