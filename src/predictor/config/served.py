"""Several models behind one server: ``PREDICTOR_MODELS`` (compact) or ``PREDICTOR_MODELS_FILE``
(YAML or JSON), read into a ``ModelList`` of entries, then ``ServedModelSpec``s (docs/models.md).

The compact form is entries separated by commas, each ``NAME=SOURCE``, optionally followed by
``;OPTION=VALUE`` for ``reload_interval_s``, ``shadow`` and ``shadow_sample_percent``; the first
entry is the default model::

    demo=demo@production;reload_interval_s=10;shadow=demo@challenger,wine=./build/wine

The file holds ``default`` (optional: else the first) and ``models``, a list of ``name``,
``model``, ``reload_interval_s`` (optional: else ``PREDICTOR_RELOAD_INTERVAL_S``), ``shadow``
(optional: a challenger scoring a sample of the model's requests, docs/shadow.md) and
``shadow_sample_percent`` (optional: else ``PREDICTOR_SHADOW_SAMPLE_PERCENT``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from predictor.domain.served import (
    SERVED_NAME,
    SOURCE,
    ServedModelSpec,
    ShadowSpec,
    check_served_name,
    model_source,
)

COMPACT_FORM = "NAME=SOURCE[;reload_interval_s=SECONDS][;shadow=SOURCE][;shadow_sample_percent=PERCENT],…"
OPTIONS = ("reload_interval_s", "shadow", "shadow_sample_percent")


class ModelEntry(BaseModel):
    """One served model as configured, or added at run time (``POST /v1/models/served``): its
    served name, what it serves, its reload interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(json_schema_extra={"pattern": SERVED_NAME}, examples=["wine"])
    model: str = Field(min_length=1, json_schema_extra={"pattern": SOURCE}, examples=["demo@production"])
    reload_interval_s: float | None = Field(default=None, ge=0)

    _served_name = field_validator("name")(check_served_name)

    @field_validator("model")
    @classmethod
    def _a_source(cls, value: str) -> str:
        model_source(value)  # ValueError for an empty source
        return value.strip()

    def spec(self, reload_interval_s: float, shadow_sample_percent: float = 100.0) -> ServedModelSpec:
        interval = self.reload_interval_s if self.reload_interval_s is not None else reload_interval_s
        return ServedModelSpec(self.name, model_source(self.model), interval)


class ListedModel(ModelEntry):
    """A model of the configured list, which may also name its shadow challenger (docs/shadow.md):
    a shadow is set up at start-up, not added at run time."""

    shadow: str | None = Field(default=None, min_length=1, json_schema_extra={"pattern": SOURCE})
    shadow_sample_percent: float | None = Field(default=None, ge=0, le=100)

    @field_validator("shadow")
    @classmethod
    def _a_shadow(cls, value: str | None) -> str | None:
        if value is not None:
            model_source(value)  # ValueError for an empty source
        return None if value is None else value.strip()

    @model_validator(mode="after")
    def _percent_of_a_shadow(self) -> ListedModel:
        if self.shadow_sample_percent is not None and self.shadow is None:
            raise ValueError("shadow_sample_percent is given without a shadow")
        return self

    def spec(self, reload_interval_s: float, shadow_sample_percent: float = 100.0) -> ServedModelSpec:
        served = super().spec(reload_interval_s)
        if self.shadow is None:
            return served
        percent = self.shadow_sample_percent
        shadow = ShadowSpec(self.shadow, shadow_sample_percent if percent is None else percent)
        return replace(served, shadow=shadow)


class ModelList(BaseModel):
    """The models to serve, and which one answers the routes that name none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str | None = None
    models: tuple[ListedModel, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> ModelList:
        names = [entry.name for entry in self.models]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"each served name must be given once; given more than once: {', '.join(twice)}")
        if self.default is not None and self.default not in names:
            raise ValueError(f"default {self.default!r} is none of the models listed ({', '.join(names)})")
        return self

    @property
    def default_name(self) -> str:
        return self.default if self.default is not None else self.models[0].name

    def specs(
        self, reload_interval_s: float, shadow_sample_percent: float = 100.0
    ) -> tuple[ServedModelSpec, ...]:
        """Every model's spec, the default one first."""
        entries = sorted(self.models, key=lambda entry: entry.name != self.default_name)
        return tuple(entry.spec(reload_interval_s, shadow_sample_percent) for entry in entries)


def one_line(exc: ValidationError, given: dict[str, Any]) -> str:
    """The first problem of ``exc`` in one line, naming the entry at fault (by number and name)."""
    error = exc.errors()[0]
    loc = error["loc"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        entries = given.get("models") or []
        entry = entries[loc[1]] if loc[1] < len(entries) else {}
        name = entry.get("name") if isinstance(entry, dict) else None
        named = f" ({name!r})" if isinstance(name, str) else ""
        field = ".".join(str(part) for part in loc[2:]) or "entry"
        return f"entry {loc[1] + 1}{named}: {field}: {message}"
    field = ".".join(str(part) for part in loc)
    return f"{field}: {message}" if field else message


def model_list(given: object) -> ModelList:
    """``given`` (the file's document, or the compact form's entries) as a ``ModelList``;
    ``ValueError`` naming the entry at fault."""
    if not isinstance(given, dict):
        raise ValueError(
            "expected a mapping with 'models' (a list of name, model and optional "
            "reload_interval_s, shadow, shadow_sample_percent)"
        )
    try:
        return ModelList.model_validate(given)
    except ValidationError as exc:
        raise ValueError(one_line(exc, given)) from None


def compact_entries(text: str) -> dict[str, Any]:
    """The compact form's entries, as the file would hold them; ``ValueError`` naming the entry."""
    entries: list[dict[str, Any]] = []
    for number, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        head, *options = (part.strip() for part in item.split(";"))
        name, equals, source = (part.strip() for part in head.partition("="))
        if not equals or not name:
            raise ValueError(f"entry {number} ({item!r}) is not {COMPACT_FORM}")
        entry: dict[str, Any] = {"name": name, "model": source}
        for option in options:
            key, equals, value = (part.strip() for part in option.partition("="))
            if key not in OPTIONS or not equals:
                raise ValueError(
                    f"entry {number} ({name!r}): {option!r} is not one of {', '.join(OPTIONS)}=VALUE"
                )
            entry[key] = value
        entries.append(entry)
    if not entries:
        raise ValueError(f"no model listed; give {COMPACT_FORM}")
    return {"models": entries}


def read_models_file(path: Path) -> ModelList:
    """The models file: YAML (``.yaml``, ``.yml``) or JSON; ``ValueError`` saying what is wrong."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # only when a YAML file is named: off the serving path otherwise
        except ImportError:
            raise ValueError(
                "reading YAML needs PyYAML, which this install lacks (the mlflow extra brings it); "
                "install pyyaml, or give the same list as a .json file"
            ) from None

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"not YAML: {str(exc).splitlines()[0]}") from None
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"not JSON ({exc.msg} at line {exc.lineno}); name a .yaml file for YAML"
            ) from None
    return model_list(document)
