"""A shadow challenger's figures for one pair of versions, as a server reports them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShadowFigures:
    """What a shadow found against the champion for one (champion version, shadow version) pair.

    ``agreement``: the share of rows given the same label (None for a regressor, or before a row
    was compared); ``max_difference`` and ``mean_difference``: over the rows, the largest absolute
    difference between the two models' probabilities (a regressor's: between their values);
    ``shadow_model``: the registered name of the model the shadow ran (None: not reported).
    """

    champion_version: str
    shadow_version: str
    requests: int
    rows: int
    agreement: float | None
    mean_difference: float | None
    max_difference: float | None
    errors: int
    incompatible: int
    shadow_model: str | None = None
