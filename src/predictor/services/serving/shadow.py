"""A shadow challenger: another version that scores a sample of the live requests after the
champion has answered them, and is compared with it (``shadow_summary``).

The request path only offers: ``Shadow.offer`` draws the sample and puts the champion's result
(its scores and the rows as encoded for it) in a bounded queue without waiting; a full queue
drops the request and counts the drop. One worker thread of the shadow's own takes the queue
in order and scores each request with the shadow, so a shadow that raises, hangs or is slow
changes nothing the client gets and holds up no request: at worst its queue fills and the
samples are dropped. The shadow model is loaded and hot-reloaded by its own ``ModelKeeper``
and ``ModelSlot``, as the champion is.

Rows encoded for the champion are scored as they are when the shadow's feature schema is the
champion's. When it differs (a retrained version learned other categories, say) but the task
and labels are the same, the rows as sent are encoded again for the shadow, on the worker;
rows a decoder process encoded (bodies over 1 MiB) are not kept as sent and count as
incompatible, as do rows for a shadow of another task or other labels.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.errors import InvalidInput
from predictor.domain.ports import Matrix, Scores
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.loading import ServedModel
from predictor.services.serving.offload import EncodedBatch
from predictor.services.serving.prediction import MODEL_INPUTS, PredictionResult
from predictor.services.serving.shadow_summary import ShadowSummary, compare

log = logging.getLogger(__name__)

# Sampled requests waiting for the shadow; past it they are dropped (and counted).
QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ShadowSpec:
    """A served name's shadow: ``model``, a model reference (``name@alias``, ``name/version``)
    or an exported directory, scoring ``sample_percent`` % of the requests (0 to 100)."""

    model: str
    sample_percent: float = 100.0

    def __post_init__(self) -> None:
        if not 0 <= self.sample_percent <= 100:
            raise ValueError(f"a shadow samples 0 to 100 % of the requests, not {self.sample_percent}")


@dataclass(frozen=True, slots=True)
class ShadowSample:
    """One answered request, as the shadow needs it: the champion that answered, its scores,
    the rows as encoded for it and as sent, and the threshold its labels were given at."""

    champion: ServedModel
    scores: Scores
    matrix: Matrix
    rows: ModelInput | None
    threshold: float


class Shadow:
    """The shadow of one served name: ``offer`` answered requests, ``start`` the worker (once),
    ``report`` what it found. Its keeper is run by whoever runs the champion's."""

    def __init__(
        self,
        spec: ShadowSpec,
        keeper: ModelKeeper,
        summary: ShadowSummary,
        queue_size: int = QUEUE_SIZE,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.spec = spec
        self.keeper = keeper
        self.summary = summary
        self._queue: queue.Queue[ShadowSample | None] = queue.Queue(maxsize=queue_size)
        self._draw = draw
        self._worker: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        """Sampled requests waiting for the shadow now."""
        return self._queue.qsize()

    def offer(self, result: PredictionResult, rows: ModelInput | None) -> None:
        """On the request path, after the answer is built: never waits, never raises."""
        if result.matrix is None or self._draw() * 100 >= self.spec.sample_percent:
            return
        sample = ShadowSample(result.model, result.scores, result.matrix, rows, result.threshold)
        try:
            self._queue.put_nowait(sample)
        except queue.Full:
            self.summary.dropped()

    def start(self) -> None:
        """Start the worker thread (a daemon: a shadow that hangs never holds the process up)."""
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._work, name=f"shadow-{self.summary.name}", daemon=True
            )
            self._worker.start()

    def stop(self) -> None:
        """Ask the worker to stop after the request it is on; waits for nothing."""
        # A full queue: the worker is stuck on a shadow that hangs; a daemon, it dies with us.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def report(self) -> dict[str, Any]:
        served = self.keeper.slot.peek()
        return {
            **self.summary.report(),
            "shadow": str(self.keeper.ref),
            "shadow_version": served.version.version if served is not None else None,
            "sample_percent": self.spec.sample_percent,
            "waiting": self.waiting,
        }

    def score(self, sample: ShadowSample) -> None:
        """Score one sample with the shadow and record the comparison (the worker's step)."""
        shadow = self.keeper.slot.peek()
        if shadow is None:  # not loaded yet (its keeper retries)
            self.summary.dropped()
            return
        pair = (sample.champion.version.version, shadow.version.version)
        matrix = _rows_for(shadow, sample)
        if matrix is None:
            self.summary.incompatible(pair)
            return
        started = time.perf_counter()
        try:
            scores = shadow.model.predict(matrix)
            latency_ms = (time.perf_counter() - started) * 1000
            comparison = compare(
                sample.scores, scores, sample.champion.model.manifest.schema.target, sample.threshold
            )
        except Exception as error:  # noqa: BLE001  # a shadow's failure, whatever it is, is counted, never raised
            log.warning(
                "the shadow failed to score a request",
                extra={"model": str(self.keeper.ref), "version": pair[1], "error_type": type(error).__name__},
            )
            self.summary.failed(pair)
            return
        self.summary.record(pair, comparison, latency_ms)

    def _work(self) -> None:
        while (sample := self._queue.get()) is not None:
            self.score(sample)


def _rows_for(shadow: ServedModel, sample: ShadowSample) -> Matrix | None:
    """The sample's rows encoded for the shadow, or None when the shadow cannot read them."""
    champion = sample.champion.model.manifest.schema
    schema = shadow.model.manifest.schema
    if schema == champion:
        return sample.matrix
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
