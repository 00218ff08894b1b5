"""Use cases around the served model: load it (with fallback) and hold it for requests."""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from predictor.domain.encoding import RowEncoder
from predictor.domain.errors import InvalidInput, InvalidModel, ModelUnavailable
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ModelCache, ModelRegistry, ModelRuntime, ServableModel
from predictor.domain.schema import TaskType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    """A loaded model with its compiled encoder and where it came from."""

    version: ModelVersion
    alias: str | None
    model: ServableModel
    encoder: RowEncoder
    origin: str = "registry"


class ModelSlot:
    """The model requests use now. Swapping is one reference assignment, so a request that
    read the old model finishes on it while new requests see the new one."""

    def __init__(self) -> None:
        self._served: ServedModel | None = None
        self._lock = threading.Lock()

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


class LoadModel:
    """Resolve a model reference, fetch and check the version, and put it in the slot.

    When the registry cannot be reached, serve the last version that loaded well for the
    same reference from the local cache, and say so in the log.
    """

    def __init__(
        self, registry: ModelRegistry, runtime: ModelRuntime, cache: ModelCache, slot: ModelSlot
    ) -> None:
        self._registry = registry
        self._runtime = runtime
        self._cache = cache
        self._slot = slot

    def __call__(self, ref: ModelRef) -> ServedModel:
        try:
            version = self._registry.resolve(ref)
        except ModelUnavailable as exc:
            fallback = self._cache.last_good(ref)
            if fallback is None:
                raise ModelUnavailable(
                    f"the registry cannot be reached ({exc}) and no version of {ref} is cached"
                ) from exc
            cached_version, directory = fallback
            log.warning(
                "registry unreachable; serving the last good version from the local cache",
                extra={"model": ref.name, "version": cached_version.version, "reason": str(exc)},
            )
            return self._install(cached_version, ref, directory, origin="cache")
        cached = self._cache.get(version)
        if cached is None:
            cached = self._cache.put(version, lambda staging: self._registry.download(version, staging))
        served = self._install(version, ref, cached, origin="registry")
        self._cache.remember(ref, version)
        return served

    def _install(self, version: ModelVersion, ref: ModelRef, directory: Path, origin: str) -> ServedModel:
        model = self._runtime.load(directory)
        encoder = check_model(model)
        served = ServedModel(version=version, alias=ref.alias, model=model, encoder=encoder, origin=origin)
        self._slot.swap(served)
        log.info(
            "model loaded",
            extra={"model": version.name, "version": version.version, "alias": ref.alias, "origin": origin},
        )
        return served
