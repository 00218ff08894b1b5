"""Preparing a model version to serve: fetch it (cache, download once), load and check it (a
smoke prediction on its input example), then install it in the slot."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import InvalidInput, InvalidModel
from predictor.domain.schema import TaskType
from predictor.services.serving.slot import ModelSlot, ServedModel

if TYPE_CHECKING:
    from pathlib import Path

    from predictor.domain.model import ModelVersion
    from predictor.domain.ports import ModelCache, ModelCatalog, ModelRuntime, ServableModel

log = logging.getLogger(__name__)


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
