"""Shadow summaries given by a test, as a server would report them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from predictor.domain.errors import ModelNotFound
from predictor.domain.ports import ShadowSummaries
from predictor.domain.shadow import ShadowFigures


class StaticShadowSummaries(ShadowSummaries):
    """The pairs of each served name with a shadow; ``ModelNotFound`` for any other name."""

    def __init__(self, pairs: Mapping[str, Sequence[ShadowFigures]]) -> None:
        self._pairs = {name: list(figures) for name, figures in pairs.items()}

    def figures(self, name: str) -> Sequence[ShadowFigures]:
        if name not in self._pairs:
            raise ModelNotFound(f"model {name!r} has no shadow in this service")
        return list(self._pairs[name])
