"""An alert: what a person is told when serving needs attention, with nothing secret in it.

``Alert`` names the trouble (``subject``: ``registry unreachable``), the service, the model and
version, the error's class, the request id and one sentence of detail. Every text it holds is
passed through ``redact`` when it is made, so an alert built from an exception's message
cannot carry a key, a token, a password or a URL's credentials to an email or a pager.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

# The troubles alerted, by subject (stable: de-duplication and subscriptions' filters key on them).
MODEL_LOAD_FAILED = "model load failed"
FALLBACK = "serving a fallback version"
REGISTRY_UNREACHABLE = "registry unreachable"
MODEL_NOT_FOUND = "model not found"
MODEL_REFUSED = "model version refused"
SECRET_STORE_UNREACHABLE = "secret store unreachable"  # noqa: S105  # a subject, not a secret
ERROR_RATE_HIGH = "error rate high"
CAPTURE_FAILING = "request capture failing"

REDACTED = "[redacted]"
MAX_DETAIL = 1000  # characters of detail kept: an alert is read on a phone

# ``user:password@`` in a URL (any scheme).
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s:@]*:[^/\s@]*@")
_MARKERS = (  # words in a name that mark its value as a secret
    r"pass(?:word|wd)?|pwd|secret|token|api[_\-]?keys?|access[_\-]?key|private[_\-]?key|"
    r"credentials?|signature|authorization|auth|session"
)
# ``password=…``, ``"api_key": "…"``, ``token: …``: a secret-looking name and its value.
_NAMED = re.compile(
    r"(?P<name>[\w.\-]*(?:" + _MARKERS + r")[\w\-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"',;&}\]]+)",
    re.IGNORECASE,
)
# ``Bearer …`` / ``Basic …`` in an Authorization header pasted into a message.
_SECRET_KEY = re.compile(_MARKERS, re.IGNORECASE)
_SCHEME = re.compile(r"\b(?P<kind>Bearer|Basic)\s+\S+", re.IGNORECASE)
# AWS access key ids, and any long run of key-like characters mixing letters and digits.
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b")
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_+=\-])[A-Za-z0-9_+=\-]{24,}(?![A-Za-z0-9_+=\-])")


def _keyish(match: re.Match[str]) -> str:
    text = match.group(0)
    mixed = any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
    return REDACTED if mixed else text


def redact(text: str, *, long_tokens: bool = True) -> str:
    """``text`` with everything secret-looking replaced by ``[redacted]``: credentials in URLs,
    named secrets (``password=…``), Authorization values, AWS key ids and, unless
    ``long_tokens`` is off (for names and ids, which may be long), any run of 24 or more
    key-like characters mixing letters and digits."""
    text = _URL_CREDENTIALS.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    text = _SCHEME.sub(lambda m: m.group("kind") + " " + REDACTED, text)
    text = _NAMED.sub(lambda m: m.group("name") + m.group("sep") + REDACTED, text)
    text = _AWS_KEY_ID.sub(REDACTED, text)
    return _LONG_TOKEN.sub(_keyish, text) if long_tokens else text


_NAMES = ("subject", "model", "version", "error", "request_id", "service")


class AlertState(StrEnum):
    FIRING = "firing"  # the trouble has started (or goes on)
    RESOLVED = "resolved"  # it is over


@dataclass(frozen=True, slots=True)
class Alert:
    """One trouble. ``subject`` is short and stable (it names the trouble: de-duplication keys
    on it and the model); ``detail`` says what happened; ``context`` holds other string facts
    (alias, source). Empty strings are facts not known."""

    subject: str
    detail: str = ""
    model: str = ""
    version: str = ""
    error: str = ""  # the error's class name: SecretStoreUnavailable, ModelUnavailable
    request_id: str = ""
    service: str = ""
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _NAMES:
            object.__setattr__(self, name, redact(str(getattr(self, name)), long_tokens=False))
        detail = redact(str(self.detail))
        if len(detail) > MAX_DETAIL:
            detail = detail[: MAX_DETAIL - 1] + "…"
        object.__setattr__(self, "detail", detail)
        context = {
            redact(str(k), long_tokens=False): REDACTED if _SECRET_KEY.search(str(k)) else redact(str(v))
            for k, v in self.context.items()
        }
        object.__setattr__(self, "context", context)

    @property
    def key(self) -> tuple[str, str]:
        """What makes two alerts the same trouble: the subject and the model."""
        return (self.subject, self.model)

    def for_service(self, service: str) -> Alert:
        """This alert naming ``service``, unless it already names one."""
        return self if self.service else replace(self, service=service)

    def facts(self, state: AlertState = AlertState.FIRING) -> dict[str, str]:
        """Every fact as a flat string mapping (a message body, log fields)."""
        facts = {
            "state": state.value,
            "subject": self.subject,
            "service": self.service,
            "model": self.model,
            "version": self.version,
            "error": self.error,
            "request_id": self.request_id,
            "detail": self.detail,
        }
        return {**{k: v for k, v in self.context.items() if k not in facts}, **facts}
