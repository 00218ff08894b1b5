"""Settings: one frozen object of groups, each group a pydantic-settings ``BaseSettings``.

Every setting keeps the variable it has always had: ``PREDICTOR_`` + its field name, whichever
group holds it (``settings.http.port`` is ``PREDICTOR_PORT``), matched case-insensitively. The
tracking URI alone also falls back to MLflow's own ``MLFLOW_TRACKING_URI``. A value comes from,
first found: ``load_settings``' keyword overrides (by field name), the environment, the ``.env``
file (``PREDICTOR_ENV_FILE``), a file named after the variable in the secrets directory
(``PREDICTOR_SECRETS_DIR``), the profile's default, the field's default.
docs/configuration.md lists every setting.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_settings import BaseSettings, SettingsError

from predictor.config.alerts import AlerterKind, AlertSettings
from predictor.config.capture import CaptureSettings
from predictor.config.groups import (
    ENV_PREFIX,
    Group,
    LoggingSettings,
    LogLevel,
    Profile,
    ProfileSettings,
    SourceSettings,
)
from predictor.config.http import (
    ADMIN_API_KEYS_SECRET,
    API_KEYS_SECRET,
    HttpSettings,
    SecretStoreKind,
    SecuritySettings,
)
from predictor.config.metrics import MetricsSettings, MetricsSinkKind
from predictor.config.models import (
    ClusterSettings,
    RefreshMode,
    ServingSettings,
    TrackingSettings,
    TuningSettings,
)
from predictor.config.shadow import ShadowSettings
from predictor.domain.errors import ConfigurationError

__all__ = [
    "ADMIN_API_KEYS_SECRET",
    "API_KEYS_SECRET",
    "ENV_PREFIX",
    "AlertSettings",
    "AlerterKind",
    "CaptureSettings",
    "ClusterSettings",
    "HttpSettings",
    "LogLevel",
    "LoggingSettings",
    "MetricsSettings",
    "MetricsSinkKind",
    "Profile",
    "RefreshMode",
    "SecretStoreKind",
    "SecuritySettings",
    "ServingSettings",
    "Settings",
    "ShadowSettings",
    "SourceSettings",
    "TrackingSettings",
    "TuningSettings",
    "load_settings",
]

G = TypeVar("G", bound=Group)
S = TypeVar("S", bound=BaseSettings)

GROUPS: dict[str, type[Group]] = {
    "serving": ServingSettings,
    "http": HttpSettings,
    "security": SecuritySettings,
    "tracking": TrackingSettings,
    "tuning": TuningSettings,
    "cluster": ClusterSettings,
    "metrics": MetricsSettings,
    "logging": LoggingSettings,
    "alerts": AlertSettings,
    "shadow": ShadowSettings,
    "capture": CaptureSettings,
}
# Each profile's defaults by field name: below every source, above the field's own default.
PROFILE_DEFAULTS: dict[Profile, dict[str, object]] = {
    Profile.DEV: {},
    Profile.TEST: {},
    Profile.PROD: {"log_json": True},
}


class Settings(BaseModel):
    """Every setting predictor reads, by group (``settings.http.port``); ``load_settings`` builds it."""

    model_config = ConfigDict(frozen=True)

    profile: Profile
    sources: SourceSettings
    serving: ServingSettings
    http: HttpSettings
    security: SecuritySettings
    tracking: TrackingSettings
    tuning: TuningSettings
    cluster: ClusterSettings
    metrics: MetricsSettings
    logging: LoggingSettings
    alerts: AlertSettings
    shadow: ShadowSettings
    capture: CaptureSettings


def load_settings(**overrides: object) -> Settings:
    """Read every group, ``overrides`` (by field name: ``port=9000``) winning over every source;
    bad values raise one ConfigurationError naming each variable."""
    given = _by_group(overrides)
    problems: list[str] = []
    sources = (
        _read(SourceSettings, given.get("sources", {}), {}, problems) or SourceSettings.model_construct()
    )
    where = {"_env_file": sources.env_file, "_secrets_dir": sources.secrets_dir}
    chosen = _read(ProfileSettings, given.get("profile", {}), where, problems)
    profile = chosen.profile if chosen is not None else Profile.DEV
    groups = {key: _read(group, given.get(key, {}), where, problems) for key, group in GROUPS.items()}
    if problems:
        raise ConfigurationError("invalid settings: " + "; ".join(problems))
    defaults = PROFILE_DEFAULTS[profile]
    built = {key: _with_defaults(group, defaults) for key, group in groups.items() if group is not None}
    return Settings.model_validate({"profile": profile, "sources": sources, **built})


def _by_group(overrides: dict[str, object]) -> dict[str, dict[str, Any]]:
    owners = {field: key for key, group in GROUPS.items() for field in group.model_fields}
    owners |= dict.fromkeys(ProfileSettings.model_fields, "profile")
    owners |= dict.fromkeys(SourceSettings.model_fields, "sources")
    unknown = sorted(set(overrides) - owners.keys())
    if unknown:
        raise TypeError(f"not settings: {', '.join(unknown)}")
    given: dict[str, dict[str, Any]] = {}
    for field, value in overrides.items():
        given.setdefault(owners[field], {})[field] = value
    return given


def _read(group: type[S], given: dict[str, Any], where: dict[str, Any], problems: list[str]) -> S | None:
    try:
        return group(**where, **given)
    except ValidationError as exc:
        # An error of the whole group (loc ()) names its variables itself.
        problems.extend(
            f"{_variable(error['loc'])}: {error['msg']}"
            if error["loc"]
            else str(error["msg"]).removeprefix("Value error, ")
            for error in exc.errors()
        )
    except SettingsError as exc:
        problems.append(str(exc))
    return None


def _variable(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "settings"
    name = str(loc[0]).upper()
    return name if name.startswith(ENV_PREFIX) or name == "MLFLOW_TRACKING_URI" else ENV_PREFIX + name


def _with_defaults(group: G, defaults: dict[str, object]) -> G:
    """``group`` with the profile's ``defaults`` for the fields no source set."""
    unset = {name: value for name, value in defaults.items() if name in type(group).model_fields}
    unset = {name: value for name, value in unset.items() if name not in group.model_fields_set}
    return group.model_copy(update=unset) if unset else group
