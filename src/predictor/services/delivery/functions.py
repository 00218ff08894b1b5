"""``DeployFunction`` and ``RollBackFunction``: a function's alias moves only to a version that
answered a real prediction, and back only to a version published before the one it names."""

from __future__ import annotations

from dataclasses import dataclass

from predictor.domain.errors import NoEarlierVersion, SmokeTestFailed
from predictor.domain.ports import FunctionCode, FunctionDeployer, SmokeCheck


@dataclass(frozen=True, slots=True)
class AliasMoved:
    """Where an alias pointed before (None: it did not exist) and where it points now."""

    function: str
    alias: str
    previous: str | None
    version: str


class DeployFunction:
    """Update the code, publish a version, smoke-test it, and only then move the alias."""

    def __init__(self, deployer: FunctionDeployer, smoke: SmokeCheck) -> None:
        self._deployer = deployer
        self._smoke = smoke

    def __call__(self, function: str, alias: str, code: FunctionCode) -> AliasMoved:
        previous = self._deployer.alias_version(function, alias)
        self._deployer.update_code(function, code)
        version = self._deployer.publish_version(function)
        failure = self._smoke.failure(function, version)
        if failure is not None:
            raise SmokeTestFailed(
                f"version {version} of {function} failed its smoke test ({failure}); "
                f"{alias} still names {previous or 'nothing'}"
            )
        self._deployer.move_alias(function, alias, version)
        return AliasMoved(function, alias, previous, version)


class RollBackFunction:
    """Point the alias at the newest version published before the one it names."""

    def __init__(self, deployer: FunctionDeployer) -> None:
        self._deployer = deployer

    def __call__(self, function: str, alias: str) -> AliasMoved:
        current = self._deployer.alias_version(function, alias)
        if current is None:
            raise NoEarlierVersion(f"{function} has no alias {alias!r} to roll back")
        earlier = [v for v in self._deployer.versions(function) if int(v) < int(current)]
        if not earlier:
            raise NoEarlierVersion(
                f"{function}:{alias} names version {current}, and no version was published before it"
            )
        self._deployer.move_alias(function, alias, earlier[-1])
        return AliasMoved(function, alias, current, earlier[-1])
