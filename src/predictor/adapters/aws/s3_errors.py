"""boto3's exceptions in the domain's words: a place to fix (a bucket, a permission, missing
credentials) is a ``ConfigurationError``; S3 being down, slow or throttling is ``ModelUnavailable``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from predictor.domain.errors import ConfigurationError, ModelUnavailable, PredictorError

MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_DENIED = frozenset({"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId"})
_CREDENTIALS = frozenset({"SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"})
_BUSY = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "ServiceUnavailable"})


def error_code(exc: BaseException) -> str | None:
    """The S3 error code of ``exc`` or of the ``ClientError`` behind it (transfers wrap them)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, ClientError):
            return str(seen.response.get("Error", {}).get("Code", "")) or None
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def s3_errors(uri: str) -> Iterator[None]:
    """Translate what boto3 raises inside the block, naming ``uri`` (never a credential)."""
    try:
        yield
    except PredictorError:
        raise
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise ConfigurationError(
            f"no AWS credentials for {uri}: boto3's default chain found none (environment, "
            "~/.aws, or an IAM role)"
        ) from exc
    except (ClientError, Boto3Error) as exc:
        raise _translated(uri, exc) from exc
    except BotoCoreError as exc:  # endpoint unreachable, connect or read timeouts
        raise ModelUnavailable(f"S3 cannot be reached for {uri}: {type(exc).__name__}") from exc


def _translated(uri: str, exc: ClientError | Boto3Error) -> PredictorError:
    code = error_code(exc) or type(exc).__name__
    bucket = uri.removeprefix("s3://").split("/", 1)[0]
    if code == "NoSuchBucket":
        return ConfigurationError(f"{uri}: the bucket {bucket!r} does not exist")
    if code in MISSING:
        return ConfigurationError(f"nothing is stored at {uri}")
    if code in _DENIED:
        return ConfigurationError(f"{uri}: access denied ({code}); check the IAM policy of these credentials")
    if code in _CREDENTIALS:
        return ConfigurationError(f"{uri}: the AWS credentials were refused ({code})")
    if code in _BUSY or code.startswith("5"):
        return ModelUnavailable(f"S3 is busy or failing for {uri} ({code}); try again")
    return ConfigurationError(f"{uri}: S3 refused the request ({code})")
