"""The models one process serves by name: each a ``ServedModelSpec``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from predictor.domain.errors import InvalidInput
from predictor.domain.model import ModelRef

# A served name goes in URL paths (/v2/models/{name}/infer): letters, digits and ._- only.
SERVED_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
_SERVED_NAME = re.compile(SERVED_NAME)
# A source is printable: no control characters (a path cannot hold a NUL byte).
SOURCE = r"^[^\x00-\x1f\x7f]+$"
_SOURCE = re.compile(SOURCE)


def model_source(text: str) -> ModelRef | Path:
    """What ``text`` names: a registered model (``name@alias``, ``name/3``, ``models:/name@alias``)
    or else an exported model directory (write ``./name/3`` for a directory that looks like a
    version). ``ValueError`` for an empty text."""
    text = text.strip()
    if not text:
        raise ValueError("empty: give NAME@ALIAS, NAME/VERSION or an exported directory")
    if not _SOURCE.match(text):
        raise ValueError("a source holds no control characters")
    if "://" in text:
        raise ValueError(
            f"{text!r}: an exported directory is a local path here (copy it onto the disk first)"
        )
    if not text.startswith((".", "/", "~")):
        try:
            return ModelRef.parse(text)
        except InvalidInput:
            pass  # not a reference: a directory
    return Path(text).expanduser()


def check_served_name(name: str) -> str:
    """``name`` when it can be served (it goes in URL paths); ``ValueError`` otherwise."""
    if not _SERVED_NAME.match(name):
        raise ValueError(
            f"{name!r} cannot be a served model's name: use 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class ShadowSpec:
    """A served name's shadow: ``model``, a model reference (``name@alias``, ``name/version``)
    or an exported directory, scoring ``sample_percent`` % of the requests (0 to 100)."""

    model: str
    sample_percent: float = 100.0

    def __post_init__(self) -> None:
        if not 0 <= self.sample_percent <= 100:
            raise ValueError(f"a shadow samples 0 to 100 % of the requests, not {self.sample_percent}")


@dataclass(frozen=True, slots=True)
class ServedModelSpec:
    """One model served as ``name``: a registry reference it follows, or an exported directory
    (one fixed version), and the seconds between looks at its alias (0: never)."""

    name: str
    source: ModelRef | Path
    reload_interval_s: float = 30.0
    shadow: ShadowSpec | None = None

    def __post_init__(self) -> None:
        check_served_name(self.name)
        if self.reload_interval_s < 0:
            raise ValueError("reload_interval_s must be 0 (never) or more")

    @property
    def exported(self) -> bool:
        return isinstance(self.source, Path)

    @property
    def ttl_s(self) -> float:
        """The keeper's time-to-live: an exported directory has no alias to follow."""
        return 0.0 if self.exported else self.reload_interval_s

    def __str__(self) -> str:
        return f"{self.name}={self.source}"
