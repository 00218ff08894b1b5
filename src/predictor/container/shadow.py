"""The container's shadow challengers: each listed model's ``shadow`` (``PREDICTOR_MODELS``, the
models file), or ``PREDICTOR_SHADOW_MODEL`` for the default model, as a ``ShadowSpec``, and the
``Shadow`` built from a spec with a keeper, a slot and loads of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from predictor.adapters import real
from predictor.config import ShadowSettings
from predictor.domain.errors import ConfigurationError, InvalidInput, InvalidModel
from predictor.domain.model import ModelRef
from predictor.domain.served import ShadowSpec
from predictor.services.registry.shadow_gate import PromoteIfShadowAgrees
from predictor.services.serving.core import ServingCore
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.loading import LoadModel, ModelSlot
from predictor.services.serving.refresh import RefreshModel
from predictor.services.serving.shadow import Shadow
from predictor.services.serving.shadow_summary import ShadowSummary

if TYPE_CHECKING:
    from predictor.container import Container
    from predictor.domain.ports import Clock, EventMeter, ModelCache, ModelCatalog, ModelRuntime


def shadow_spec(settings: ShadowSettings) -> ShadowSpec | None:
    """The served model's shadow, from the settings; None when ``PREDICTOR_SHADOW_MODEL`` is unset."""
    if settings.shadow_model is None:
        return None
    return ShadowSpec(settings.shadow_model, settings.shadow_sample_percent)


def build_shadow(
    spec: ShadowSpec,
    name: str,
    *,
    setting: str,
    catalog: ModelCatalog | None,
    cache: ModelCache,
    runtime: ModelRuntime,
    reload_interval_s: float,
    queue_size: int,
    meter: EventMeter,
    clock: Clock,
) -> Shadow:
    """``name``'s shadow: a model reference read from ``catalog`` (the registry; None while an
    exported directory is served, which refuses one) and followed every ``reload_interval_s``,
    or an exported directory, read in place. Its loads are logged, not counted or alerted as the
    champion's are. ``ConfigurationError`` for a registry reference without a registry,
    ``InvalidModel`` for a directory that was not exported; both name ``setting``."""
    ref, ttl_s = _parsed(spec.model), reload_interval_s
    if ref is None:
        try:
            exported = real.exported_catalog(Path(spec.model).expanduser())
            ref = exported.ref
        except InvalidModel as exc:
            raise InvalidModel(f"{setting}: {exc}") from exc
        catalog, cache, ttl_s = exported, real.exported_cache(exported), 0.0
    elif catalog is None:
        raise ConfigurationError(
            f"{setting}={spec.model!r} names a registry version, but the service serves "
            "exported directories without a registry; name an exported directory as the shadow"
        )
    slot = ModelSlot()
    load = LoadModel(catalog, runtime, cache, slot, origin="registry")
    refresh = RefreshModel(catalog, runtime, cache, slot, real.log_alerter(), allow_breaking_changes=True)
    keeper = ModelKeeper(ref, slot, load, refresh, ttl_s=ttl_s)
    return Shadow(spec, keeper, ShadowSummary(name, clock, meter), queue_size)


def served_shadows(container: Container, runtime: ModelRuntime | None = None) -> dict[str, Shadow]:
    """The shadows by served name, each compared with that name's model: the listed models'
    own, and ``PREDICTOR_SHADOW_MODEL`` for the default one when its entry names none; loaded
    through ``runtime`` (by default the champions'; a test hands in one of its own)."""
    settings = container.settings()
    wanted = {
        spec.name: (spec.shadow, spec.reload_interval_s, f"PREDICTOR_MODELS entry {spec.name!r}: shadow")
        for spec in settings.serving.specs(settings.shadow.shadow_sample_percent)
        if spec.shadow is not None
    }
    default: str = container.served_models().default_name
    from_settings = shadow_spec(settings.shadow)
    if from_settings is not None and default not in wanted:
        wanted[default] = (from_settings, settings.serving.reload_interval_s, "PREDICTOR_SHADOW_MODEL")
    from_registry = settings.serving.registry_source == "registry"
    return {
        name: build_shadow(
            spec,
            name,
            setting=setting,
            catalog=container.adapters.registry() if from_registry else None,
            cache=container.adapters.cache() if from_registry else container.serving_cache(),
            runtime=runtime or container.adapters.runtime(),
            reload_interval_s=interval,
            queue_size=settings.shadow.shadow_queue_size,
            meter=container.request_metrics(),
            clock=container.adapters.clock(),
        )
        for name, (spec, interval, setting) in wanted.items()
    }


def serving_core(container: Container) -> ServingCore:
    """The serving core over the served models, offering each answer to their shadows and to
    request capture."""
    return ServingCore(
        container.served_models(),
        container.make_prediction(),
        container.body_decoder(),
        container.request_metrics(),
        container.shadows(),
        container.capture_requests(),
    )


def _parsed(model: str) -> ModelRef | None:
    """``model`` as a model reference, or None when it names a directory."""
    try:
        return ModelRef.parse(model)
    except InvalidInput:
        return None


def promote_if_shadow_agrees(container: Container, server: str, admin_key: str) -> PromoteIfShadowAgrees:
    """``predictor promote --if-shadow-agrees``: the summary read from ``server`` with ``admin_key``,
    the alias moved in ``container``'s registry."""
    from predictor.adapters.web.shadow import HttpShadowSummaries

    summaries = HttpShadowSummaries(server, admin_key)
    return PromoteIfShadowAgrees(summaries, container.adapters.registry(), container.promote_model())
