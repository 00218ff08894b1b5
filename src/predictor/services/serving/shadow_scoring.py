"""The shadow worker's step: score the requests waiting with the shadow model in one call, and
compare each with the champion's answer (``shadow_summary``).

Rows encoded for the champion are scored as they are when the shadow's feature schema is the
champion's. When it differs (a retrained version learned other categories, say) but the task
and labels are the same, the rows as sent are encoded again for the shadow; rows a decoder
process encoded (bodies over 1 MiB) are not kept as sent and count as incompatible, as do rows
for a shadow of another task or other labels.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.errors import InvalidInput
from predictor.domain.ports import Matrix, Scores
from predictor.services.serving.loading import ModelSlot, ServedModel
from predictor.services.serving.offload import EncodedBatch
from predictor.services.serving.prediction import MODEL_INPUTS
from predictor.services.serving.shadow_compare import compare_each
from predictor.services.serving.shadow_summary import Pair, ShadowSummary

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ShadowSample:
    """One answered request, as the shadow needs it: the champion that answered, its scores,
    the rows as encoded for it and as sent, and the threshold its labels were given at."""

    champion: ServedModel
    scores: Scores
    matrix: Matrix
    rows: ModelInput | None
    threshold: float


class ScoreWithShadow:
    """Called with samples: the samples scored by the model in ``slot`` (the shadow's), in one
    call, each compared with the champion's scores and recorded on ``summary``."""

    def __init__(self, slot: ModelSlot, summary: ShadowSummary, shadow: str) -> None:
        self._slot = slot
        self.summary = summary
        self._shadow = shadow  # the reference, for the log
        # Whether the last (champion, shadow) seen share their schema: compared once per pair.
        self._same: tuple[ServedModel, ServedModel, bool] | None = None

    def __call__(self, samples: Sequence[ShadowSample]) -> None:
        shadow = self._slot.peek()
        if shadow is None:  # not loaded yet (its keeper retries)
            for _ in samples:
                self.summary.dropped()
            return
        readable: list[tuple[ShadowSample, Matrix]] = []
        for sample in samples:
            matrix = (
                sample.matrix if self._same_schema(sample.champion, shadow) else _rows_for(shadow, sample)
            )
            if matrix is None:
                self.summary.incompatible(_pair(sample, shadow))
            else:
                readable.append((sample, matrix))
        if readable:
            self._compare(shadow, readable)

    def _compare(self, shadow: ServedModel, readable: list[tuple[ShadowSample, Matrix]]) -> None:
        matrices = [matrix for _, matrix in readable]
        started = time.perf_counter()
        try:
            scores = shadow.model.predict(matrices[0] if len(matrices) == 1 else np.concatenate(matrices))
        except Exception as error:  # noqa: BLE001  # a shadow's failure, whatever it is, is counted, never raised
            self._failed(shadow, [sample for sample, _ in readable], error)
            return
        latency_ms = (time.perf_counter() - started) * 1000
        parts = (
            np.split(scores, np.cumsum([len(m) for m in matrices])[:-1]) if len(matrices) > 1 else [scores]
        )
        # Compared a group at a time: the requests the same champion answered at one threshold.
        groups: dict[tuple[int, float], list[tuple[ShadowSample, Scores]]] = {}
        for (sample, _), part in zip(readable, parts, strict=True):
            groups.setdefault((id(sample.champion), sample.threshold), []).append((sample, part))
        for group in groups.values():
            self._record(shadow, group, latency_ms)

    def _record(
        self, shadow: ServedModel, group: list[tuple[ShadowSample, Scores]], latency_ms: float
    ) -> None:
        first = group[0][0]
        target, pair = first.champion.model.manifest.schema.target, _pair(first, shadow)
        sizes = [len(part) for _, part in group]
        try:
            champion = np.concatenate([sample.scores for sample, _ in group])
            scores = np.concatenate([part for _, part in group])
            comparisons = compare_each(champion, scores, sizes, target, first.threshold)
        except ValueError as error:  # scores of other shapes, or not finite
            self._failed(shadow, [sample for sample, _ in group], error)
            return
        self.summary.record(pair, comparisons, latency_ms)

    def _same_schema(self, champion: ServedModel, shadow: ServedModel) -> bool:
        same = self._same
        if same is None or same[0] is not champion or same[1] is not shadow:
            same = self._same = (
                champion,
                shadow,
                champion.model.manifest.schema == shadow.model.manifest.schema,
            )
        return same[2]

    def _failed(self, shadow: ServedModel, samples: Sequence[ShadowSample], error: Exception) -> None:
        log.warning(
            "the shadow failed to score a request",
            extra={
                "model": self._shadow,
                "version": shadow.version.version,
                "error_type": type(error).__name__,
            },
        )
        for sample in samples:
            self.summary.failed(_pair(sample, shadow))


def _pair(sample: ShadowSample, shadow: ServedModel) -> Pair:
    return (sample.champion.version.version, shadow.version.version)


def _rows_for(shadow: ServedModel, sample: ShadowSample) -> Matrix | None:
    """The sample's rows, as sent, encoded for a shadow of another schema; None when it cannot
    read them."""
    champion = sample.champion.model.manifest.schema
    schema = shadow.model.manifest.schema
    rows = sample.rows
    if (
        schema.target != champion.target
        or not isinstance(rows, MODEL_INPUTS)
        or isinstance(rows, EncodedBatch)
    ):
        return None
    try:
        return rows.encode(shadow.encoder).matrix
    except InvalidInput:
        return None
