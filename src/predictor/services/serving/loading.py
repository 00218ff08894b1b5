"""Use cases around the served model: load it (with fallback) and hold it for requests."""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from predictor.domain.alerts import FALLBACK, MODEL_LOAD_FAILED, Alert
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import InvalidInput, InvalidModel, ModelNotFound, ModelUnavailable
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import (
    Alerter,
    Counted,
    EventCounter,
    ModelCache,
    ModelCatalog,
    ModelRuntime,
    ServableModel,
)
from predictor.domain.schema import TaskType
from predictor.services.serving.batching import BatchedModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    """A loaded model with its compiled encoder and where it came from. Requests score through
    ``batched``, the model wrapped so that concurrent requests share one model call."""

    version: ModelVersion
    alias: str | None
    model: ServableModel
    encoder: RowEncoder
    origin: str = "registry"
    batched: BatchedModel = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Wrapped here, where the model is held: a model swapped in (``dataclasses.replace``
        # included) gets a wrapper of its own.
        object.__setattr__(self, "batched", BatchedModel(self.model))


class ModelSlot:
    """The model requests use now. Swapping is one reference assignment, so a request that
    read the old model finishes on it while new requests see the new one."""

    def __init__(self) -> None:
        self._served: ServedModel | None = None
        self._lock = threading.Lock()
        # Held for a whole load or refresh (resolve -> fetch -> check -> swap), so that two
        # never run at once: the start-up retries, the poller and an admin reload.
        self.changing = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._served is not None

    def current(self) -> ServedModel:
        served = self._served
        if served is None:
            raise ModelUnavailable("no model is loaded yet")
        return served

    def peek(self) -> ServedModel | None:
        return self._served

    def swap(self, served: ServedModel) -> ServedModel | None:
        with self._lock:
            previous, self._served = self._served, served
        return previous


def check_model(model: ServableModel) -> RowEncoder:
    """Compile the encoder and run a smoke prediction on the manifest's input example."""
    manifest = model.manifest
    encoder = RowEncoder(manifest.schema)
    if not manifest.input_example:
        raise InvalidModel("the model has no input example to check it with")
    try:
        matrix = encoder.encode(list(manifest.input_example)).matrix
    except InvalidInput as exc:
        raise InvalidModel(f"the model's own input example does not fit its schema: {exc}") from exc
    scores = np.asarray(model.predict(matrix), dtype=np.float64)
    target = manifest.schema.target
    expected: tuple[int, ...] = (len(matrix),)
    if target.task is TaskType.MULTICLASS:
        expected = (len(matrix), len(target.labels))
    if scores.shape != expected or not all(math.isfinite(v) for v in scores.ravel().tolist()):
        raise InvalidModel(
            f"the smoke prediction gave shape {scores.shape} or non-finite scores; expected {expected}"
        )
    return encoder


def fetch(registry: ModelCatalog, cache: ModelCache, version: ModelVersion) -> Path:
    """The version's model directory from the cache; downloaded (once) when absent or corrupted."""
    cached = cache.get(version)
    if cached is None:
        cached = cache.put(version, lambda staging: registry.download(version, staging))
        log.info("model version downloaded", extra={"model": version.name, "version": version.version})
    return cached


def prepare(
    runtime: ModelRuntime, version: ModelVersion, alias: str | None, directory: Path, origin: str
) -> ServedModel:
    """Load the model directory and check it (``check_model``): ready to swap in, not swapped yet."""
    model = runtime.load(directory)
    encoder = check_model(model)
    return ServedModel(version=version, alias=alias, model=model, encoder=encoder, origin=origin)


def install(slot: ModelSlot, served: ServedModel) -> ServedModel:
    slot.swap(served)
    version = served.version
    log.info(
        "model loaded",
        extra={
            "model": version.name,
            "version": version.version,
            "alias": served.alias,
            "origin": served.origin,
        },
    )
    return served


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
