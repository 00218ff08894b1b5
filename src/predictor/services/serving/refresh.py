"""Use case: follow the alias while serving (hot reload), keeping the served model on any failure.

One refresh: resolve the alias -> same version as served: nothing to do -> else fetch (cache,
download once) -> load -> check (smoke prediction; schema compatible with the served one) ->
swap. A version that fails is refused: the served one keeps answering, the failure is logged
and alerted. An unreachable registry changes nothing either; it is alerted once per outage,
and its end is logged and resolved (as is a start-up fallback, once a registry version swaps in).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from enum import StrEnum

from predictor.domain.alerts import FALLBACK, MODEL_NOT_FOUND, MODEL_REFUSED, REGISTRY_UNREACHABLE, Alert
from predictor.domain.errors import (
    InvalidModel,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    PredictorError,
)
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import Alerter, Counted, EventCounter, ModelCache, ModelCatalog, ModelRuntime
from predictor.domain.schema import FeatureKind, FeatureSchema
from predictor.services.serving.loading import ModelSlot, ServedModel, fetch, install, prepare

log = logging.getLogger(__name__)


class RefreshStatus(StrEnum):
    UNCHANGED = "unchanged"  # the alias names the served version
    SWAPPED = "swapped"  # a new version serves now
    REFUSED = "refused"  # the alias names a version that failed; the served one stays
    UNREACHABLE = "unreachable"  # the registry cannot be reached; the served one stays
    NOT_FOUND = "not-found"  # the model or alias is gone from the registry; the served one stays


@dataclass(frozen=True)
class RefreshOutcome:
    status: RefreshStatus
    ref: ModelRef
    serving: str | None  # the version serving after the refresh
    previous: str | None = None  # the version serving before, when swapped
    candidate: str | None = None  # the version the alias names, when refused
    reason: str | None = None
    error: str = ""  # the class of the error behind a trouble

    @property
    def changed(self) -> bool:
        return self.status is RefreshStatus.SWAPPED


def schema_breaks(served: FeatureSchema, candidate: FeatureSchema) -> list[str]:
    """What a client sending rows for ``served`` would find broken with ``candidate``.

    Compatible means the same features in the same order and of the same kinds, every
    category still known, and the same task and class labels.
    """
    breaks: list[str] = []
    if served.names != candidate.names:
        breaks.append(f"the features change from {list(served.names)} to {list(candidate.names)}")
    else:
        for old, new in zip(served.features, candidate.features, strict=True):
            if old.kind is not new.kind:
                breaks.append(f"feature {old.name!r} changes from {old.kind.value} to {new.kind.value}")
            elif old.kind is FeatureKind.CATEGORICAL and (lost := set(old.categories) - set(new.categories)):
                breaks.append(f"feature {old.name!r} no longer knows the categories {sorted(lost)}")
    old_target, new_target = served.target, candidate.target
    if old_target.task is not new_target.task:
        breaks.append(f"the task changes from {old_target.task.value} to {new_target.task.value}")
    elif set(old_target.labels) != set(new_target.labels):
        breaks.append(f"the labels change from {list(old_target.labels)} to {list(new_target.labels)}")
    return breaks


class RefreshModel:
    """Swap in the version the alias names now, once it has loaded and passed its checks.

    Keeps state between calls (one instance per served slot): versions refused for good
    (they are not downloaded again on every poll; ``force=True`` retries them) and the
    trouble last alerted, so an outage or a bad version is alerted once, not on every poll.
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
        self._alerter = alerter
        self._allow_breaking = allow_breaking_changes
        self._counter = counter
        self._counted_refusal: str | None = None
        self._refused: dict[tuple[str, str], tuple[str, str]] = {}
        self._trouble: str | None = None
        self._alerted: Alert | None = None  # the trouble alerted, resolved when it ends
        self._outage_started: float | None = None

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

    def _report(self, outcome: RefreshOutcome) -> None:
        """Log and alert what changed: a swap, a new trouble, the end of an outage."""
        fields = {
            "model": outcome.ref.name,
            "alias": str(outcome.ref.alias),
            "serving": outcome.serving or "none",
        }
        if outcome.status is RefreshStatus.SWAPPED:
            log.info("model swapped", extra={**fields, "previous": outcome.previous})
            # A version from the registry serves now: a start-up fallback is over.
            self._alerter.resolve(
                Alert(FALLBACK, "a version from the registry serves again", model=outcome.ref.name)
            )
        trouble = None
        if outcome.status not in (RefreshStatus.UNCHANGED, RefreshStatus.SWAPPED):
            trouble = f"{outcome.status.value}:{outcome.candidate or ''}"
        if trouble == self._trouble:
            return
        if self._outage_started is not None and outcome.status is not RefreshStatus.UNREACHABLE:
            log.warning(
                "registry reachable again",
                extra={**fields, "outage_s": round(time.monotonic() - self._outage_started, 1)},
            )
            self._outage_started = None
        self._trouble = trouble
        if self._alerted is not None:
            self._alerter.resolve(replace(self._alerted, detail=f"over: serving version {fields['serving']}"))
            self._alerted = None
        if trouble is None:
            return
        if outcome.status is RefreshStatus.UNREACHABLE:
            self._outage_started = time.monotonic()
        subject, message = _ALERTS[outcome.status]
        details = {**fields, "reason": str(outcome.reason)}
        if outcome.candidate is not None:
            details["version"] = outcome.candidate
        text = message.format(ref=outcome.ref, **details)
        log.error(text, extra=details)
        version = outcome.candidate or fields["serving"]
        self._alerted = Alert(subject, text, outcome.ref.name, version, outcome.error, context=details)
        self._alerter.alert(self._alerted)


_ALERTS = {
    RefreshStatus.UNREACHABLE: (
        REGISTRY_UNREACHABLE,
        "the registry cannot be reached; still serving version {serving} of {ref}: {reason}",
    ),
    RefreshStatus.NOT_FOUND: (
        MODEL_NOT_FOUND,
        "{ref} is no longer in the registry; still serving version {serving}: {reason}",
    ),
    RefreshStatus.REFUSED: (
        MODEL_REFUSED,
        "version {version} of {ref} was refused; still serving version {serving}: {reason}",
    ),
}
