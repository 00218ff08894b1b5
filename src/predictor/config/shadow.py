"""The shadow challenger's settings: the version that scores a sample of the served model's
requests after they are answered (docs/shadow.md)."""

from __future__ import annotations

from pydantic import Field, field_validator

from predictor.config.groups import Group


class ShadowSettings(Group):
    """``shadow_model`` unset: no shadow. Else ``name@alias``, ``name/version`` (the registry)
    or an exported directory (``./exports/demo-7``), scoring ``shadow_sample_percent`` % of the
    requests, ``shadow_queue_size`` of them waiting at most."""

    shadow_model: str | None = None
    shadow_sample_percent: float = Field(default=100.0, ge=0, le=100)
    shadow_queue_size: int = Field(default=1000, ge=1, le=1_000_000)

    @field_validator("shadow_model", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
