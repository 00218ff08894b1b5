"""Use cases around the served model: load it (with fallback) and hold it for requests.

``ServedModel`` and ``ModelSlot`` live in ``predictor.services.serving.slot``, the steps of a
load (``check_model``, ``fetch``, ``prepare``, ``install``) in
``predictor.services.serving.preparing``; both are re-exported here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from predictor.domain.alerts import FALLBACK, MODEL_LOAD_FAILED, Alert
from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.domain.ports import Alerter, Counted, EventCounter, ModelCache, ModelCatalog, ModelRuntime
from predictor.services.serving.preparing import check_model, fetch, install, prepare
from predictor.services.serving.slot import ModelSlot, ServedModel

if TYPE_CHECKING:
    from pathlib import Path

    from predictor.domain.model import ModelRef, ModelVersion

__all__ = ["LoadModel", "ModelSlot", "ServedModel", "check_model", "fetch", "install", "prepare"]

log = logging.getLogger(__name__)


class LoadModel:
    """Resolve a model reference, fetch and check the version, and put it in the slot.

    The catalog is the registry, or an exported model directory (``ExportedModelCatalog``,
    which is also its own cache): both take this one path. When the registry cannot be
    reached, serve the last version that loaded well for the same reference from the local
    cache, else the version of the same model in the ``fallback`` catalog (an exported
    directory, ``PREDICTOR_FALLBACK_MODEL_DIR``) if set, and say so in the log. Loads,
    fallbacks and failed loads are counted on ``counter``, and alerted on ``alerter`` (a failed
    load and a fallback; each resolved by the next load that is neither).
    """

    def __init__(
        self,
        registry: ModelCatalog,
        runtime: ModelRuntime,
        cache: ModelCache,
        slot: ModelSlot,
        fallback: ModelCatalog | None = None,
        origin: str = "registry",
        counter: EventCounter | None = None,
        alerter: Alerter | None = None,
    ) -> None:
        self._registry = registry
        self._runtime = runtime
        self._cache = cache
        self._slot = slot
        self._fallback = fallback
        self._origin = origin  # what the catalog is, as /v1/models/current reports: registry, export
        self._counter = counter
        self._alerter = alerter

    def __call__(self, ref: ModelRef) -> ServedModel:
        try:
            served, fell_back = self._load(ref)
        except Exception as exc:
            if self._counter is not None:
                self._counter.count(Counted.MODEL_LOAD_FAILURES, model=ref.name)
            self._alert_failure(ref, exc)
            raise
        self._alert_loaded(ref, served, fell_back)
        if self._counter is not None:
            version = served.version.version
            if fell_back:
                self._counter.count(
                    Counted.MODEL_FALLBACKS, model=ref.name, version=version, origin=served.origin
                )
            else:
                self._counter.count(Counted.MODEL_LOADS, model=ref.name, version=version)
        return served

    def _alert_failure(self, ref: ModelRef, exc: Exception) -> None:
        if self._alerter is not None:
            detail = f"{ref} could not be loaded: {exc}"
            self._alerter.alert(Alert(MODEL_LOAD_FAILED, detail, model=ref.name, error=type(exc).__name__))

    def _alert_loaded(self, ref: ModelRef, served: ServedModel, fell_back: bool) -> None:
        """A load ends a load failure; a fallback starts (or goes on), a registry load ends one."""
        if self._alerter is None:
            return
        version = served.version.version
        self._alerter.resolve(Alert(MODEL_LOAD_FAILED, f"version {version} of {ref} loaded", model=ref.name))
        if fell_back:
            detail = (
                f"the registry cannot be reached; serving version {version} of {ref} from the {served.origin}"
            )
            context = {"origin": served.origin}
            fallback = Alert(FALLBACK, detail, ref.name, version, "ModelUnavailable", context=context)
            self._alerter.alert(fallback)
        else:
            self._alerter.resolve(Alert(FALLBACK, f"serving version {version} of {ref}", model=ref.name))

    def _load(self, ref: ModelRef) -> tuple[ServedModel, bool]:
        """The model served now, and whether it is a fallback."""
        with self._slot.changing:
            try:
                version = self._registry.resolve(ref)
            except ModelUnavailable as exc:
                return install(self._slot, self._fallen_back(ref, exc)), True
            directory = fetch(self._registry, self._cache, version)
            served = install(self._slot, prepare(self._runtime, version, ref.alias, directory, self._origin))
            self._cache.remember(ref, version)
            return served, False

    def _fallen_back(self, ref: ModelRef, exc: ModelUnavailable) -> ServedModel:
        cached = self._cache.last_good(ref)
        if cached is not None:
            (version, directory), origin = cached, "cache"
            where = "the last good version from the local cache"
        else:
            (version, directory), origin = self._exported(ref, exc), "export"
            where = "the exported model directory"
        log.warning(
            f"registry unreachable; serving {where}",
            extra={"model": ref.name, "version": version.version, "reason": str(exc)},
        )
        return prepare(self._runtime, version, ref.alias, directory, origin)

    def _exported(self, ref: ModelRef, exc: ModelUnavailable) -> tuple[ModelVersion, Path]:
        if self._fallback is not None:
            try:
                version = self._fallback.list_versions(ref.name)[-1]
            except ModelNotFound as other:
                log.warning(
                    "the exported fallback directory holds another model; not serving it",
                    extra={"model": ref.name, "reason": str(other)},
                )
            else:
                return version, fetch(self._fallback, self._cache, version)
        raise ModelUnavailable(
            f"the registry cannot be reached ({exc}) and no version of {ref} is cached"
        ) from exc
