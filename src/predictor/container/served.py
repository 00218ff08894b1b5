"""The served models' keepers: the default one from the container's own providers (its slot,
load and refresh, shared with the reload route), each other one built here with its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from predictor.adapters import real
from predictor.config import RefreshMode, Settings
from predictor.domain.model import ModelRef
from predictor.domain.ports import ModelCache, ModelCatalog, ModelRuntime
from predictor.domain.served import ServedModelSpec
from predictor.services.serving.footprint import ModelFootprints
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.loading import LoadModel, ModelSlot
from predictor.services.serving.models import ServedModels
from predictor.services.serving.refresh import RefreshModel

if TYPE_CHECKING:
    from predictor.container import Container

__all__ = ["ModelFootprints", "default_name", "measured_runtime", "model_keeper_for", "served_models"]


def default_name(settings: Settings, ref: ModelRef) -> str:
    """The name the default model is served as: the first listed, or the registered name."""
    specs = settings.serving.specs()
    return specs[0].name if specs else ref.name


def measured_runtime(container: Container) -> ModelRuntime:
    """The runtime the default model loads with, its loads measured as its own."""
    name = default_name(container.settings(), container.model_ref())
    return container.footprints().runtime_for(name, container.adapters.runtime())


def model_keeper_for(spec: ServedModelSpec, *, container: Container) -> ModelKeeper:
    """The keeper of a model that is not the default one: its own slot, catalog, load and
    refresh, on the container's adapters. ``InvalidModel`` for a directory that was not exported."""
    adapters, settings = container.adapters, container.settings()
    slot = ModelSlot()
    runtime = container.footprints().runtime_for(spec.name, adapters.runtime())
    registry: ModelCatalog
    cache: ModelCache
    if isinstance(spec.source, Path):  # no registry: with only exports, there is none to ask
        registry = exported = real.exported_catalog(spec.source)
        cache, ref, origin, fallback = real.exported_cache(exported), exported.ref, "export", None
    else:
        registry, cache, ref, origin = adapters.registry(), adapters.cache(), spec.source, "registry"
        fallback = container.fallback()
    counter, alerter = container.request_metrics(), container.alerts()
    load = LoadModel(registry, runtime, cache, slot, fallback, origin, counter, alerter)
    allow_breaking = settings.serving.allow_breaking_changes
    refresh = RefreshModel(registry, runtime, cache, slot, alerter, allow_breaking, counter)
    return ModelKeeper(
        ref,
        slot,
        load,
        refresh,
        ttl_s=spec.ttl_s,
        on_request=settings.serving.refresh is RefreshMode.ON_REQUEST,
        backoff=container.load_backoff(),
        monotonic=container.monotonic(),
        name=spec.name,
    )


def served_models(container: Container) -> ServedModels:
    """Every model configured, the default one first (the container's own keeper), each other
    one with a keeper of its own (``model_keeper_for``); models added at run time get theirs."""
    specs = container.settings().serving.specs()

    def build(spec: ServedModelSpec) -> ModelKeeper:
        return model_keeper_for(spec, container=container)

    keepers = [container.model_keeper(), *(build(spec) for spec in specs[1:])]
    return ServedModels(keepers, build, specs)
