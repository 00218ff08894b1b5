"""Ports for delivering the Lambda function: deploy its code, move its alias, smoke-test a version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class FunctionCode:
    """A function's new code: a container image in ECR, or a zip's bytes (exactly one)."""

    image_uri: str | None = None
    zip_file: bytes | None = None

    def __post_init__(self) -> None:
        if (self.image_uri is None) == (self.zip_file is None):
            raise ValueError("FunctionCode takes exactly one of image_uri or zip_file")


class FunctionDeployer(Protocol):
    """A function's code, published versions and aliases (AWS Lambda; a fake in tests).

    Every method raises ``FunctionNotFound`` for a function that does not exist, and
    ``ModelUnavailable`` when the service cannot be reached or refuses.
    """

    def update_code(self, function: str, code: FunctionCode) -> None:
        """Replace the unpublished code and return once the function is updated."""
        ...

    def publish_version(self, function: str) -> str:
        """Publish the current code as a new version; answers its number."""
        ...

    def versions(self, function: str) -> list[str]:
        """The published version numbers, oldest first (never ``$LATEST``)."""
        ...

    def alias_version(self, function: str, alias: str) -> str | None:
        """The version ``alias`` names, or None when there is no such alias."""
        ...

    def move_alias(self, function: str, alias: str, version: str) -> None:
        """Point ``alias`` at ``version``, making the alias when there is none."""
        ...


class SmokeCheck(Protocol):
    """One real prediction sent to a published version of a function."""

    def failure(self, function: str, version: str) -> str | None:
        """None when the version answers the prediction well, else why not (one line)."""
        ...
