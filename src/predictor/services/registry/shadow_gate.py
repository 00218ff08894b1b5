"""Use case: promote a version only when its shadow has agreed with the champion on enough live
traffic (``predictor promote --if-shadow-agrees``).

The gate reads a running server's shadow summary and looks for the pair being promoted: the
version the alias names now as champion, the version to promote as shadow. It promotes when that
pair's figures meet every threshold; otherwise it raises ``ShadowDisagrees`` naming the first
figure that failed, and nothing moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from predictor.domain.errors import ModelNotFound, ShadowDisagrees
from predictor.domain.model import ModelRef
from predictor.domain.ports import ModelRegistry, ShadowSummaries
from predictor.domain.shadow import ShadowFigures
from predictor.services.registry.promotion import AliasMove, PromoteModel


@dataclass(frozen=True, slots=True)
class ShadowThresholds:
    """What a pair must show: at least ``min_requests`` requests compared; at most
    ``max_errors`` shadow errors and ``max_incompatible`` requests the shadow could not take; a
    label agreement of at least ``min_agreement`` (classifiers); no row's absolute difference
    above ``max_difference`` (None: not checked)."""

    min_requests: int = 1000
    min_agreement: float = 0.99
    max_difference: float | None = 0.2
    max_errors: int = 0
    max_incompatible: int = 0


def failed_figure(figures: ShadowFigures, thresholds: ShadowThresholds) -> str | None:
    """The first figure of the pair that fails its threshold, as one line; None when all pass."""
    if figures.requests < thresholds.min_requests:
        return f"the shadow scored {figures.requests} requests; the gate needs {thresholds.min_requests}"
    if figures.errors > thresholds.max_errors:
        return f"the shadow failed {figures.errors} requests; the gate allows {thresholds.max_errors}"
    if figures.incompatible > thresholds.max_incompatible:
        incompatible, allowed = figures.incompatible, thresholds.max_incompatible
        return f"the shadow could not take {incompatible} requests; the gate allows {allowed}"
    if figures.agreement is not None and figures.agreement < thresholds.min_agreement:
        agreement, needed = figures.agreement, thresholds.min_agreement
        return f"the labels agree on {agreement:.4f} of the rows; the gate needs {needed}"
    limit, largest = thresholds.max_difference, figures.max_difference
    if limit is not None and largest is not None and largest > limit:
        return f"the largest difference on a row is {largest:.4f}; the gate allows {limit}"
    return None


def _pair(figures: Sequence[ShadowFigures], name: str, champion: str, shadow: str) -> ShadowFigures:
    for pair in reversed(figures):  # the newest, should a server list one twice
        if (pair.champion_version, pair.shadow_version) == (champion, shadow):
            if pair.shadow_model != name:
                raise ShadowDisagrees(
                    f"the shadow's figures are for model {pair.shadow_model or 'unknown'}, not {name}; "
                    f"version {shadow} of {name} never ran as the shadow"
                )
            return pair
    seen = ", ".join(f"{p.champion_version} -> {p.shadow_version}" for p in figures) or "none"
    raise ShadowDisagrees(
        f"the server has no shadow figures for champion version {champion} with shadow version "
        f"{shadow} (its pairs, champion -> shadow: {seen})"
    )


class PromoteIfShadowAgrees:
    """Promote ``version`` of ``name`` to ``alias`` when the shadow summary of ``served_name``
    (default ``name``) has the pair (the alias's version now, ``version``), its shadow ran model
    ``name``, and the pair meets ``thresholds``; ``ShadowDisagrees`` otherwise, nothing moved."""

    def __init__(self, summaries: ShadowSummaries, registry: ModelRegistry, promote: PromoteModel) -> None:
        self._summaries = summaries
        self._registry = registry
        self._promote = promote

    def __call__(
        self,
        name: str,
        version: str,
        alias: str,
        by: str,
        reason: str,
        thresholds: ShadowThresholds,
        served_name: str | None = None,
    ) -> AliasMove:
        try:
            champion = self._registry.resolve(ModelRef(name, alias=alias)).version
        except ModelNotFound as exc:
            raise ShadowDisagrees(
                f"{name}@{alias} names no version, so no champion was shadowed ({exc})"
            ) from exc
        figures = _pair(self._summaries.figures(served_name or name), name, champion, version)
        failure = failed_figure(figures, thresholds)
        if failure is not None:
            raise ShadowDisagrees(f"not promoted: {failure} (champion {champion}, shadow {version})")
        return self._promote(name, version, alias, by, reason)
