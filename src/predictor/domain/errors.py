"""The domain's exceptions. Each entrypoint maps them once, at its edge.

PredictorError
├── InvalidInput            rows or fields a client sent do not fit the model (HTTP 400)
│   └── InputDoesNotFitSchema  rows that parse but miss a feature, or hold none (HTTP 400)
├── MediaTypeUnavailable    a body format whose reader needs an extra not installed (HTTP 415)
├── PayloadTooLarge         more rows or bytes than the limits allow (HTTP 413)
├── Unauthorized            missing or unknown API key (HTTP 401)
├── Forbidden               a valid key without the right to do this (HTTP 403)
├── TooManyRequests         a client or key over its rate; ``retry_after`` seconds (HTTP 429)
├── ModelNotFound           no such model, version or alias in the registry (HTTP 404)
├── ModelUnavailable        nothing loaded yet, or the registry cannot be reached (HTTP 503)
├── DecoderUnavailable      a decoder process stopped while it read a request body (HTTP 503)
├── KeysUnavailable         no API keys loaded yet: the secret store was never read (HTTP 503)
├── SecretStoreUnavailable  the secret store cannot be reached, or refuses to answer
├── AlertUndelivered        an alert could not be sent (logged by the alerter, never raised to a caller)
├── CaptureUnavailable      captured rows could not be stored (counted and alerted, never raised to a caller)
├── InvalidModel            a model directory or manifest that cannot be served
├── ModelRefused            a new version failed to download, load or pass its checks (HTTP 409)
├── NoEarlierVersion        a rollback with nothing to go back to (HTTP 409)
├── ModelConflict           a served name taken, or the default model asked to go (HTTP 409)
├── FunctionNotFound        no such Lambda function to deploy or roll back
├── SmokeTestFailed         a newly published function version failed its smoke prediction
├── ShadowDisagrees         a shadow's figures fail the promote gate (--if-shadow-agrees)
├── ConfigurationError      a setting or combination of settings that cannot work
└── DataError               a training data set that cannot be used
    └── DataCheckFailed     the data checks found problems (one line each)

Each pickles with its constructor's arguments, so one raised in a decoder process arrives as
it was raised.
"""

from __future__ import annotations

from dataclasses import dataclass


class PredictorError(Exception):
    """Base of every error predictor raises on purpose."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: which row (None for the whole request), which field, and why."""

    row: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


class InvalidInput(PredictorError):
    """The request's rows do not fit the model's feature schema."""

    def __init__(self, errors: list[FieldError], summary: str | None = None) -> None:
        self.errors = errors
        self.summary = summary or _summarise(errors)
        super().__init__(self.summary)

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.errors, self.summary), self.__dict__


class InputDoesNotFitSchema(InvalidInput):
    """The rows parse, but not into the model's features: a feature is missing from them, a row
    is not an object of features, or there is no row at all. MLflow's scoring server tells these
    (``INVALID_PARAMETER_VALUE``) from a body it cannot read (``BAD_REQUEST``)."""


def _summarise(errors: list[FieldError]) -> str:
    if not errors:
        return "the input is invalid"
    first = errors[0]
    where = []
    if first.row is not None:
        where.append(f"row {first.row}")
    if first.field is not None:
        where.append(f"field {first.field!r}")
    prefix = (", ".join(where) + ": ") if where else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{prefix}{first.message}{more}"


class MediaTypeUnavailable(PredictorError):
    """The body's format is one the protocol reads, but its reader needs a package that is not
    installed (Parquet without pyarrow); the message names the extra to install."""


class PayloadTooLarge(PredictorError):
    """More rows or bytes than the configured limit."""

    def __init__(self, message: str, limit: int, actual: int) -> None:
        self.limit = limit
        self.actual = actual
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (str(self), self.limit, self.actual), self.__dict__


class Unauthorized(PredictorError):
    """The API key is missing or is not one of the active keys."""


class Forbidden(PredictorError):
    """The API key is valid but does not allow this (an admin route with a client key)."""


class TooManyRequests(PredictorError):
    """A client address (failed authentications) or an API key (requests) is over its rate."""

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (str(self), self.retry_after), self.__dict__


class ModelNotFound(PredictorError):
    """The registry has no such model, version or alias."""


class ModelUnavailable(PredictorError):
    """No model is loaded yet, or the registry cannot be reached."""


class DecoderUnavailable(PredictorError):
    """A decoder process stopped (or hung) while it read a request body, again on a fresh one."""


class KeysUnavailable(PredictorError):
    """No API keys are loaded yet (the secret store has not been read once), so no key can pass."""


class SecretStoreUnavailable(PredictorError):
    """The secret store cannot be reached, throttles, times out or denies access."""


class AlertUndelivered(PredictorError):
    """An alert could not be sent: refused, throttled, timed out, or the endpoint is unreachable."""


class CaptureUnavailable(PredictorError):
    """A batch of captured rows could not be stored: the batch is dropped, serving goes on."""


class InvalidModel(PredictorError):
    """A model directory or manifest that predictor cannot serve."""


class ModelRefused(PredictorError):
    """A new version could not replace the served one; the served one keeps answering."""


class NoEarlierVersion(PredictorError):
    """A rollback asked for, but the alias has no earlier version in its history."""


class ModelConflict(PredictorError):
    """A change to the served models that cannot be made: the name is served already, or the
    model asked to go is the default one."""


class FunctionNotFound(PredictorError):
    """No such function (Lambda) to deploy to or roll back."""


class SmokeTestFailed(PredictorError):
    """A newly published function version failed its smoke prediction; no alias moved."""


class ShadowDisagrees(PredictorError):
    """The shadow's figures for the pair being promoted fail a threshold of the promote gate (or
    the server has no figures for that pair); no alias moved."""


class ConfigurationError(PredictorError):
    """A setting, or a combination of settings, that cannot work."""


class DataError(PredictorError):
    """A training data set that cannot be used as given."""


class DataCheckFailed(DataError):
    """The data checks found problems that stop training; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.problems,), self.__dict__
