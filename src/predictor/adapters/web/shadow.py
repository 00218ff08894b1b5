"""``HttpShadowSummaries``: a running server's shadow summary, read over HTTP with an admin key."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from predictor.domain.errors import (
    ConfigurationError,
    Forbidden,
    InvalidInput,
    ModelNotFound,
    ModelUnavailable,
    Unauthorized,
)
from predictor.domain.model import ModelRef
from predictor.domain.ports import ShadowSummaries
from predictor.domain.shadow import ShadowFigures

REFUSALS: dict[int, type[Exception]] = {401: Unauthorized, 403: Forbidden, 404: ModelNotFound}


def figures_of(pair: Mapping[str, Any], shadow_model: str | None = None) -> ShadowFigures:
    """One pair of the summary route's body, run by ``shadow_model``; KeyError, TypeError or
    ValueError for another shape."""

    def number(key: str) -> float | None:
        value = pair[key]
        return None if value is None else float(value)

    return ShadowFigures(
        champion_version=str(pair["champion_version"]),
        shadow_version=str(pair["shadow_version"]),
        requests=int(pair["requests"]),
        rows=int(pair["rows"]),
        agreement=number("agreement"),
        mean_difference=number("mean_difference"),
        max_difference=number("max_difference"),
        errors=int(pair["errors"]),
        incompatible=int(pair["incompatible"]),
        shadow_model=shadow_model,
    )


def shadow_model_of(report: Mapping[str, Any]) -> str | None:
    """The registered name of the model in the report's ``shadow`` (``models:/NAME@ALIAS``...)."""
    try:
        return ModelRef.parse(str(report["shadow"])).name
    except (KeyError, InvalidInput):
        return None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: urllib would send the admin key on to the new address."""

    def redirect_request(self, *args: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_RefuseRedirects)


class HttpShadowSummaries(ShadowSummaries):
    """``GET {server}/v1/models/{name}/shadow`` with ``admin_key`` in ``X-API-Key``, waiting at
    most ``timeout_s`` seconds. ``server`` is an ``http://`` or ``https://`` address."""

    def __init__(self, server: str, admin_key: str, timeout_s: float = 10.0) -> None:
        if urllib.parse.urlsplit(server).scheme not in ("http", "https"):
            raise ConfigurationError(f"--server {server!r} is not an http:// or https:// address")
        self._server = server.rstrip("/")
        self._key = admin_key
        self._timeout = timeout_s

    def figures(self, name: str) -> Sequence[ShadowFigures]:
        url = f"{self._server}/v1/models/{urllib.parse.quote(name, safe='')}/shadow"
        headers = {"X-API-Key": self._key, "Accept": "application/json"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310  # http(s) only, checked in __init__
        try:
            with _OPENER.open(request, timeout=self._timeout) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            raise self._refusal(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelUnavailable(f"the server at {self._server} cannot be reached: {reason}") from None
        try:
            report = json.loads(body)
            model = shadow_model_of(report)
            return [figures_of(pair, model) for pair in report["pairs"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailable(
                f"{url} did not answer with a shadow summary ({type(exc).__name__})"
            ) from None

    def _refusal(self, exc: urllib.error.HTTPError) -> Exception:
        try:
            detail = str(json.loads(exc.read()).get("detail") or exc.reason)
        except (ValueError, AttributeError, OSError):
            detail = str(exc.reason)
        if 300 <= exc.code < 400:
            where = exc.headers.get("Location", "another address")
            return ModelUnavailable(
                f"the server at {self._server} answered {exc.code}, a redirect to {where}; "
                "redirects are not followed (they would carry the admin key); give --server the final address"
            )
        error = REFUSALS.get(exc.code, ModelUnavailable)
        return error(f"the server at {self._server} answered {exc.code}: {detail}")
