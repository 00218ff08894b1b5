"""The AWS adapter factories of ``RealAdapters``: S3 artifacts, Secrets Manager, SNS alerts and
CloudWatch metrics. Each imports its adapter (and so boto3) inside the factory, so a process
that never chooses one never imports boto3; a missing boto3 is a ``ConfigurationError`` naming
the setting and the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from predictor.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from predictor.config import AlertSettings, MetricsSettings
    from predictor.domain.ports import (
        Alerter,
        ArtifactStore,
        FunctionDeployer,
        MetricsSink,
        RotatingSecretStore,
        SmokeCheck,
    )


# s3:// artifacts (boto3 imported on the first s3:// URI, so a process that never names one
# never imports it).
def s3_artifacts() -> ArtifactStore:
    from predictor.adapters.aws.s3 import S3ArtifactStore

    return S3ArtifactStore()


def secrets_manager(timeout_s: float) -> RotatingSecretStore:
    try:
        from predictor.adapters.aws.secrets import SecretsManagerSecretStore
    except ImportError as exc:
        raise ConfigurationError("PREDICTOR_SECRET_STORE=aws needs boto3: install predictor[aws]") from exc

    return SecretsManagerSecretStore(timeout_s=timeout_s)


def sns_alerter(settings: AlertSettings) -> Alerter:
    try:
        from predictor.adapters.aws.sns import SnsAlerter
    except ImportError as exc:
        raise ConfigurationError("PREDICTOR_ALERTS=sns needs boto3: install predictor[aws]") from exc

    topic = str(settings.alerts_topic_arn)
    return SnsAlerter(topic, queue_size=settings.alerts_queue_size, timeout_s=settings.alerts_timeout_s)


def cloudwatch_metrics(settings: MetricsSettings) -> MetricsSink:
    from predictor.adapters.aws.cloudwatch import CloudWatchMetricsSink, client_config

    timeouts = (settings.cloudwatch_connect_timeout_s, settings.cloudwatch_read_timeout_s)
    config = client_config(*timeouts, settings.cloudwatch_max_attempts)
    return CloudWatchMetricsSink(settings.metrics_namespace, config=config)


def lambda_deployer() -> FunctionDeployer:
    try:
        from predictor.adapters.aws.lambda_deployer import LambdaFunctionDeployer
    except ImportError as exc:
        raise ConfigurationError("predictor deploy needs boto3: install predictor[aws]") from exc

    return LambdaFunctionDeployer()


def lambda_smoke_check(body: str, api_key: str) -> SmokeCheck:
    from predictor.adapters.aws.lambda_smoke import LambdaSmokeCheck

    return LambdaSmokeCheck(body, api_key)
