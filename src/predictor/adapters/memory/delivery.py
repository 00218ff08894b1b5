"""A Lambda function in memory (``InMemoryFunctionDeployer``) and a smoke check with a set answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from predictor.domain.errors import FunctionNotFound
from predictor.domain.ports import FunctionCode, FunctionDeployer, SmokeCheck


@dataclass
class _Function:
    code: FunctionCode
    published: list[FunctionCode] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)


class InMemoryFunctionDeployer(FunctionDeployer):
    """Functions made with ``create``; versions are numbered from 1, as Lambda numbers them."""

    def __init__(self) -> None:
        self._functions: dict[str, _Function] = {}

    def create(self, function: str, code: FunctionCode) -> None:
        self._functions[function] = _Function(code)

    def _get(self, function: str) -> _Function:
        try:
            return self._functions[function]
        except KeyError:
            raise FunctionNotFound(f"no function named {function!r}") from None

    def code_of(self, function: str, version: str) -> FunctionCode:
        return self._get(function).published[int(version) - 1]

    def update_code(self, function: str, code: FunctionCode) -> None:
        self._get(function).code = code

    def publish_version(self, function: str) -> str:
        found = self._get(function)
        found.published.append(found.code)
        return str(len(found.published))

    def versions(self, function: str) -> list[str]:
        return [str(number) for number in range(1, len(self._get(function).published) + 1)]

    def alias_version(self, function: str, alias: str) -> str | None:
        return self._get(function).aliases.get(alias)

    def move_alias(self, function: str, alias: str, version: str) -> None:
        self._get(function).aliases[alias] = version


class StaticSmokeCheck(SmokeCheck):
    """Answers ``failure`` for every version; records the versions checked."""

    def __init__(self, failure: str | None = None) -> None:
        self._failure = failure
        self.checked: list[tuple[str, str]] = []

    def failure(self, function: str, version: str) -> str | None:
        self.checked.append((function, version))
        return self._failure
