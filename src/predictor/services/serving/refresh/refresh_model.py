"""Use case: follow the alias while serving (hot reload), keeping the served model on any failure."""

from __future__ import annotations

import logging

from predictor.domain.errors import (
    InvalidModel,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    PredictorError,
)
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import Alerter, Counted, EventCounter, ModelCache, ModelCatalog, ModelRuntime
from predictor.services.serving.loading import ModelSlot, ServedModel, fetch, install, prepare
from predictor.services.serving.refresh.compatibility import schema_breaks
from predictor.services.serving.refresh.outcome import RefreshOutcome, RefreshStatus
from predictor.services.serving.refresh.troubles import TroubleReport

log = logging.getLogger(__name__)


class RefreshModel:
    """Swap in the version the alias names now, once it has loaded and passed its checks.

    Keeps state between calls (one instance per served slot): versions refused for good
    (they are not downloaded again on every poll; ``force=True`` retries them) and the
    trouble last alerted (``TroubleReport``), so an outage or a bad version is alerted once, not
    on every poll.
    """

    def __init__(
        self,
        registry: ModelCatalog,
        runtime: ModelRuntime,
        cache: ModelCache,
        slot: ModelSlot,
        alerter: Alerter,
        allow_breaking_changes: bool = False,
        counter: EventCounter | None = None,
    ) -> None:
        self._registry = registry
        self._runtime = runtime
        self._cache = cache
        self._slot = slot
        self._report = TroubleReport(alerter)
        self._allow_breaking = allow_breaking_changes
        self._counter = counter
        self._counted_refusal: str | None = None
        self._refused: dict[tuple[str, str], tuple[str, str]] = {}

    def __call__(self, ref: ModelRef, *, force: bool = False) -> RefreshOutcome:
        with self._slot.changing:
            outcome = self._refresh(ref, force)
            self._report(outcome)
        self._count(outcome)
        return outcome

    def _count(self, outcome: RefreshOutcome) -> None:
        """A swap is a reload; a version refused is one failed load (not one per poll that
        finds the alias still naming it)."""
        if self._counter is None:
            return
        if outcome.status is RefreshStatus.SWAPPED:
            self._counter.count(Counted.MODEL_RELOADS, model=outcome.ref.name, version=str(outcome.serving))
        elif outcome.status is RefreshStatus.REFUSED and outcome.candidate != self._counted_refusal:
            self._counter.count(Counted.MODEL_LOAD_FAILURES, model=outcome.ref.name)
        self._counted_refusal = outcome.candidate if outcome.status is RefreshStatus.REFUSED else None

    def _refresh(self, ref: ModelRef, force: bool) -> RefreshOutcome:
        current = self._slot.peek()
        serving = current.version.version if current is not None else None
        try:
            version = self._registry.resolve(ref)
        except ModelUnavailable as exc:
            return RefreshOutcome(
                RefreshStatus.UNREACHABLE, ref, serving, reason=str(exc), error=type(exc).__name__
            )
        except ModelNotFound as exc:
            return RefreshOutcome(
                RefreshStatus.NOT_FOUND, ref, serving, reason=str(exc), error=type(exc).__name__
            )
        if current is not None and (current.version.name, current.version.version) == (
            version.name,
            version.version,
        ):
            return RefreshOutcome(RefreshStatus.UNCHANGED, ref, serving)
        refusal = self._swap_in(ref, version, current, force)
        if refusal is not None:
            reason, error = refusal
            return RefreshOutcome(
                RefreshStatus.REFUSED, ref, serving, candidate=version.version, reason=reason, error=error
            )
        return RefreshOutcome(RefreshStatus.SWAPPED, ref, version.version, previous=serving)

    def _swap_in(
        self, ref: ModelRef, version: ModelVersion, current: ServedModel | None, force: bool
    ) -> tuple[str, str] | None:
        """Swap ``version`` in; None when it serves now, else why it was refused (and the
        error's class)."""
        key = (version.name, version.version)
        if force:
            self._refused.pop(key, None)
        if key in self._refused:
            return self._refused[key]
        try:
            served = self._checked(ref, version, current)
        except (InvalidModel, ModelRefused) as exc:
            # The same files fail the same way: do not fetch them again.
            self._refused[key] = (str(exc), type(exc).__name__)
            return self._refused[key]
        except PredictorError as exc:  # a download that failed half-way, a cache that cannot be written
            return str(exc), type(exc).__name__
        except Exception as exc:
            log.exception(
                "unexpected error preparing a new model version", extra={"version": version.version}
            )
            return f"unexpected {type(exc).__name__}", type(exc).__name__
        install(self._slot, served)
        self._cache.remember(ref, version)
        return None

    def _checked(self, ref: ModelRef, version: ModelVersion, current: ServedModel | None) -> ServedModel:
        directory = fetch(self._registry, self._cache, version)
        served = prepare(self._runtime, version, ref.alias, directory, "registry")
        if current is not None and not self._allow_breaking:
            breaks = schema_breaks(current.model.manifest.schema, served.model.manifest.schema)
            if breaks:
                raise ModelRefused(
                    "it is a breaking change for clients (" + "; ".join(breaks) + ") and breaking "
                    "changes are not allowed"
                )
        return served
