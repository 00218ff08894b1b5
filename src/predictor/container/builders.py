"""The container's builders: use cases built on first use (so that a serving process imports no
training code), and the values the container computes from the settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from predictor.config import (
    ADMIN_API_KEYS_SECRET,
    API_KEYS_SECRET,
    AlertSettings,
    RefreshMode,
    SecretStoreKind,
    Settings,
)
from predictor.domain.model import ModelRef
from predictor.services.alerting import ErrorRateAlarm
from predictor.services.serving.keeper import Backoff, ModelKeeper
from predictor.services.serving.keys import Keyrings
from predictor.services.serving.loading import ModelSlot
from predictor.services.serving.telemetry import RequestMetrics

if TYPE_CHECKING:
    from predictor.adapters.files.exported import ExportedModelCatalog
    from predictor.domain.ports import Alerter, Clock, MetricsRecorder, RotatingSecretStore, SecretStore
    from predictor.services.registry.copy import CopyModel
    from predictor.services.registry.export import ExportModel
    from predictor.services.serving.batch_scoring import PredictTable
    from predictor.services.training.cluster import TrainOnCluster
    from predictor.services.training.pipeline import TrainModel


# The training and batch use cases are imported when first built, so a serving process does
# not import the training side of the domain.
def train_model(publishing: dict[str, Any], **dependencies: Any) -> TrainModel:
    from predictor.services.training.pipeline import TrainModel

    return TrainModel(**dependencies, **publishing)


def train_on_cluster(publishing: dict[str, Any], **dependencies: Any) -> TrainOnCluster:
    from predictor.services.training.cluster import TrainOnCluster

    return TrainOnCluster(**dependencies, **publishing)


def predict_table(**dependencies: Any) -> PredictTable:
    from predictor.services.serving.batch_scoring import PredictTable

    return PredictTable(**dependencies)


def export_model(**dependencies: Any) -> ExportModel:
    from predictor.services.registry.export import ExportModel

    return ExportModel(**dependencies)


def copy_model(**dependencies: Any) -> CopyModel:
    from predictor.services.registry.copy import CopyModel

    return CopyModel(**dependencies)


def reopen_aws_connections() -> int:
    """Close the AWS clients' connections, so their next calls open new ones (after a Lambda
    SnapStart restore); how many clients. Imports nothing of AWS when no client exists."""
    from predictor.adapters.aws.connections import close_aws_connections

    return close_aws_connections()


def served_ref(settings: Settings, exported: Callable[[], ExportedModelCatalog]) -> ModelRef:
    """The reference the default model follows: the settings' name@alias, the first listed
    model's, or the exported directory's (``InvalidModel`` for a directory that was not exported)."""
    if settings.serving.default_model_dir is not None:
        return exported().ref
    specs = settings.serving.specs()
    if specs and isinstance(specs[0].source, ModelRef):  # several models: the default one's
        return specs[0].source
    return ModelRef(settings.serving.model_name, alias=settings.serving.model_alias)


def model_keeper(settings: Settings, backoff: Backoff, **uses: Any) -> ModelKeeper:
    serving = settings.serving
    specs = serving.specs()
    # An exported directory is one fixed version: there is no alias to follow.
    single_ttl_s = 0.0 if serving.model_dir is not None else serving.reload_interval_s
    ttl_s = specs[0].ttl_s if specs else single_ttl_s
    on_request = serving.refresh is RefreshMode.ON_REQUEST
    name = specs[0].name if specs else None  # the registered model's name, as before
    return ModelKeeper(**uses, ttl_s=ttl_s, on_request=on_request, backoff=backoff, name=name)


def request_metrics(
    alerting: AlertSettings, slot: ModelSlot, prometheus: MetricsRecorder | None, gate: Alerter, clock: Clock
) -> RequestMetrics:
    rate = (alerting.error_rate_threshold, alerting.error_rate_window_s, alerting.error_rate_min_requests)
    alarm = ErrorRateAlarm(gate, clock, *rate)  # told of every answer, alerts through the gate
    return RequestMetrics(slot, recorders=() if prometheus is None else (prometheus,), alarm=alarm)


def keyrings(
    settings: Settings, store: SecretStore | RotatingSecretStore, alerter: Alerter, clock: Clock
) -> Keyrings:
    """The API keys in force (services/serving/keys.py): the env store's lists read once at
    start-up, or Secrets Manager's JSON secret kept for PREDICTOR_KEYS_TTL_S."""
    security = settings.security
    if security.secret_store is SecretStoreKind.AWS:
        return Keyrings.from_json_secret(
            store=store,  # type: ignore[arg-type]  # the aws secret store rotates (adapters.real)
            name=security.keys_secret_id or "",  # required with aws (SecuritySettings checks)
            ttl_s=security.keys_ttl_s,
            retry_s=security.keys_retry_s,
            alerter=alerter,
            clock=clock,
        )
    return Keyrings.from_lists(
        store=store,  # type: ignore[arg-type]  # the env store reads lists
        api_keys=API_KEYS_SECRET,
        admin_keys=ADMIN_API_KEYS_SECRET,
        alerter=alerter,
        clock=clock,
    )
