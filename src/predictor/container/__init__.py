"""The composition root: the only place that chooses adapters.

Two adapter sets share provider names: ``RealAdapters`` (``predictor.adapters.real``, re-exported
here), and ``InMemoryAdapters`` in ``predictor.adapters.memory.container``, which this module
never imports. One ``Container`` wires the use cases to whichever set it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dependency_injector import containers, providers

from predictor.adapters import real
from predictor.adapters.real import RealAdapters
from predictor.config import Settings
from predictor.container import capture
from predictor.container.builders import (
    copy_model,
    export_model,
    keyrings,
    model_keeper,
    predict_table,
    reopen_aws_connections,
    request_metrics,
    served_ref,
    train_model,
    train_on_cluster,
)
from predictor.container.served import ModelFootprints, measured_runtime, served_models
from predictor.container.shadow import served_shadows, serving_core
from predictor.services.alerting import AlertGate
from predictor.services.registry.catalog import DescribeModel, ListModels
from predictor.services.registry.promotion import PromoteModel, RollbackModel
from predictor.services.serving.codecs.mlflow import MlflowCodec
from predictor.services.serving.explanation import ExplainPrediction
from predictor.services.serving.keeper import Backoff
from predictor.services.serving.loading import LoadModel, ModelSlot
from predictor.services.serving.offload import BodyDecoder
from predictor.services.serving.prediction import MakePrediction
from predictor.services.serving.refresh import RefreshModel
from predictor.services.serving.telemetry import PublishMetrics

__all__ = ["Container", "RealAdapters", "build_container", "reopen_aws_connections", "served_ref"]


class Container(containers.DeclarativeContainer):
    """Use cases, wired to one adapter set."""

    __self__ = providers.Self()
    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()

    slot = providers.Singleton(ModelSlot)
    # Every alert goes through the gate: one message per trouble per window, one "resolved".
    alerts = providers.Singleton(
        AlertGate,
        alerter=adapters.alerter,
        clock=adapters.clock,
        window_s=settings.provided.alerts.alerts_window_s,
        service=settings.provided.alerts.alerts_service,
    )
    request_metrics = providers.Singleton(
        request_metrics, settings.provided.alerts, slot, adapters.prometheus, alerts, adapters.clock
    )
    keyrings = providers.Singleton(keyrings, settings, adapters.secrets, alerts, adapters.clock)
    exported_catalog = providers.Singleton(real.exported_catalog, settings.provided.serving.default_model_dir)
    model_ref = providers.Singleton(served_ref, settings, exported_catalog.provider)
    footprints = providers.Singleton(ModelFootprints, adapters.process_memory)  # each load's RSS growth
    # The read side, for serving and the catalog: the exported directory being served, or the
    # registry. Promotion and training take the registry itself (both sides).
    catalog = providers.Selector(
        settings.provided.serving.model_source, exported=exported_catalog, registry=adapters.registry
    )
    serving_cache = providers.Selector(
        settings.provided.serving.model_source,
        exported=providers.Singleton(real.exported_cache, exported_catalog),
        registry=adapters.cache,
    )
    fallback = providers.Singleton(real.fallback_catalog, settings.provided.serving.fallback_model_dir)
    load_model = providers.Factory(
        LoadModel,
        registry=catalog,
        runtime=providers.Singleton(measured_runtime, __self__),  # each load's RSS growth
        cache=serving_cache,
        slot=slot,
        fallback=fallback,
        origin=providers.Selector(
            settings.provided.serving.model_source,
            exported=providers.Object("export"),
            registry=providers.Object("registry"),
        ),
        counter=request_metrics,
        alerter=alerts,
    )
    # One instance: it remembers refused versions and the trouble it last alerted.
    refresh_model = providers.Singleton(
        RefreshModel,
        registry=catalog,
        runtime=providers.Singleton(measured_runtime, __self__),  # each load's RSS growth
        cache=serving_cache,
        slot=slot,
        alerter=alerts,
        allow_breaking_changes=settings.provided.serving.allow_breaking_changes,
        counter=request_metrics,
    )
    # Loads the served model, retries, refreshes on its time-to-live: from a background task
    # (run) or from requests (on_request, for AWS Lambda). create_app may override the backoff.
    load_backoff = providers.Object(Backoff())
    monotonic = providers.Object(time.monotonic)  # the keeper's clock; tests drive their own
    model_keeper = providers.Singleton(
        model_keeper,
        settings,
        load_backoff,
        monotonic=monotonic,
        ref=model_ref,
        slot=slot,
        load=load_model,
        refresh=refresh_model,
    )
    publish_metrics = providers.Singleton(
        PublishMetrics,
        metrics=request_metrics,
        sink=adapters.metrics,
        interval_s=settings.provided.metrics.metrics_flush_s,
    )
    promote_model = providers.Factory(PromoteModel, registry=adapters.registry, clock=adapters.clock)
    rollback_model = providers.Factory(RollbackModel, registry=adapters.registry, clock=adapters.clock)
    describe_model = providers.Factory(DescribeModel, catalog=catalog)
    list_models = providers.Factory(ListModels, catalog=catalog)
    export_model = providers.Factory(
        export_model,
        catalog=catalog,
        runtime=adapters.runtime,
        artifacts=adapters.artifacts,
        clock=adapters.clock,
    )
    # `models copy`: this container's registry, tracker and artifact store are the destination;
    # the caller hands in the source registry's catalog (another container's) at call time.
    copy_model = providers.Factory(
        copy_model, target=adapters.registry, tracker=adapters.tracker, artifacts=adapters.artifacts
    )
    make_prediction = providers.Singleton(
        MakePrediction,
        slot=slot,
        max_rows=settings.provided.serving.max_rows,
        threshold=settings.provided.serving.decision_threshold,
        counter=request_metrics,
    )
    served_models = providers.Singleton(served_models, __self__)
    # One per process: its decoder processes start on the first big body; close() stops them.
    body_decoder = providers.Singleton(
        BodyDecoder,
        processes=settings.provided.serving.decoder_processes,
        max_rows=settings.provided.serving.max_rows,
    )
    # Request capture (docs/capture.md): each None unless PREDICTOR_CAPTURE_URI is set.
    capture_queue = providers.Singleton(capture.queue, settings)
    capture_requests = providers.Singleton(
        capture.capture_requests, settings, capture_queue, adapters.clock, request_metrics
    )
    write_captured = providers.Singleton(
        capture.write_captured, settings, capture_queue, adapters.capture_store, request_metrics, alerts
    )
    shadows = providers.Singleton(served_shadows, __self__)  # the served model's shadow (docs/shadow.md)
    serving_core = providers.Singleton(serving_core, __self__)
    # /invocations reads bodies as `mlflow models serve` does, unless PREDICTOR_INVOCATIONS_STRICT.
    mlflow_codec = providers.Singleton(
        MlflowCodec, adapters.table_reader, settings.provided.serving.invocations_strict
    )
    explain_prediction = providers.Singleton(
        ExplainPrediction, slot=slot, max_rows=settings.provided.serving.max_rows
    )
    predict_table = providers.Factory(
        predict_table, files=adapters.tables, threshold=settings.provided.serving.decision_threshold
    )
    # What both training engines track, register and promote with.
    publishing = providers.Dict(
        tracker=adapters.tracker,
        registry=adapters.registry,
        runtime=adapters.runtime,
        tuner=adapters.tuner,
        renderer=adapters.renderer,
        promote=promote_model,
    )
    train_model = providers.Factory(
        train_model, datasets=adapters.datasets, trainer=adapters.trainer, publishing=publishing
    )
    # The CLI builds the cluster per run (it names the scheduler): train_on_cluster(cluster=...).
    train_on_cluster = providers.Factory(train_on_cluster, publishing=publishing)


def build_container(
    settings: Settings, adapters: Callable[..., containers.DeclarativeContainer] = RealAdapters
) -> Container:
    """The container for ``settings`` with an adapter set: ``RealAdapters``, or
    ``predictor.adapters.memory.container.InMemoryAdapters`` for tests and offline trials."""
    return Container(settings=settings, adapters=adapters(settings=settings))
