"""What one refresh did: the version serving after it, and the trouble behind a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from predictor.domain.model import ModelRef


class RefreshStatus(StrEnum):
    UNCHANGED = "unchanged"  # the alias names the served version
    SWAPPED = "swapped"  # a new version serves now
    REFUSED = "refused"  # the alias names a version that failed; the served one stays
    UNREACHABLE = "unreachable"  # the registry cannot be reached; the served one stays
    NOT_FOUND = "not-found"  # the model or alias is gone from the registry; the served one stays


@dataclass(frozen=True)
class RefreshOutcome:
    status: RefreshStatus
    ref: ModelRef
    serving: str | None  # the version serving after the refresh
    previous: str | None = None  # the version serving before, when swapped
    candidate: str | None = None  # the version the alias names, when refused
    reason: str | None = None
    error: str = ""  # the class of the error behind a trouble

    @property
    def changed(self) -> bool:
        return self.status is RefreshStatus.SWAPPED

    @property
    def trouble(self) -> str | None:
        """What is wrong, told apart by status and candidate version; None when all is well."""
        if self.status in (RefreshStatus.UNCHANGED, RefreshStatus.SWAPPED):
            return None
        return f"{self.status.value}:{self.candidate or ''}"
