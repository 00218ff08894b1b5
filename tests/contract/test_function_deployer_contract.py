"""The ``FunctionDeployer`` contract, run against the in-memory fake and against
``LambdaFunctionDeployer`` on moto's Lambda (a loopback server: create, update, publish and
alias work there without Docker)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from predictor.adapters.aws.lambda_deployer import LambdaFunctionDeployer
from predictor.adapters.memory.delivery import InMemoryFunctionDeployer
from predictor.domain.errors import FunctionNotFound
from predictor.domain.ports import FunctionCode, FunctionDeployer
from tests.aws import fake_aws_env, lambda_function, moto_server
from tests.aws import handler_zip as zipped

FUNCTION = "predictor-contract"
Made = Callable[[], FunctionDeployer]


def in_memory() -> Iterator[FunctionDeployer]:
    deployer = InMemoryFunctionDeployer()
    deployer.create(FUNCTION, FunctionCode(zip_file=zipped("v0")))
    yield deployer


def on_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[FunctionDeployer]:
    with moto_server() as url:
        fake_aws_env(monkeypatch, url)
        yield LambdaFunctionDeployer(lambda_function(FUNCTION, zipped("v0")))


@pytest.fixture(params=["memory", "moto"])
def deployer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FunctionDeployer]:
    made = in_memory() if request.param == "memory" else on_moto(monkeypatch)
    yield from made


def test_each_publish_is_a_new_version_numbered_from_one(deployer: FunctionDeployer) -> None:
    assert deployer.versions(FUNCTION) == []
    deployer.update_code(FUNCTION, FunctionCode(zip_file=zipped("v1")))
    first = deployer.publish_version(FUNCTION)
    deployer.update_code(FUNCTION, FunctionCode(zip_file=zipped("v2")))
    second = deployer.publish_version(FUNCTION)

    assert (first, second) == ("1", "2")
    assert deployer.versions(FUNCTION) == ["1", "2"]


def test_an_alias_is_made_then_moved(deployer: FunctionDeployer) -> None:
    deployer.publish_version(FUNCTION)
    deployer.update_code(FUNCTION, FunctionCode(zip_file=zipped("v2")))
    deployer.publish_version(FUNCTION)
    assert deployer.alias_version(FUNCTION, "live") is None

    deployer.move_alias(FUNCTION, "live", "1")
    assert deployer.alias_version(FUNCTION, "live") == "1"
    deployer.move_alias(FUNCTION, "live", "2")
    assert deployer.alias_version(FUNCTION, "live") == "2"


@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.update_code("no-such-function", FunctionCode(zip_file=zipped("x"))),
        lambda d: d.publish_version("no-such-function"),
        lambda d: d.versions("no-such-function"),
        lambda d: d.alias_version("no-such-function", "live"),
    ],
    ids=["update_code", "publish_version", "versions", "alias_version"],
)
def test_a_missing_function_is_function_not_found(
    deployer: FunctionDeployer, call: Callable[[FunctionDeployer], object]
) -> None:
    with pytest.raises(FunctionNotFound, match="no-such-function"):
        call(deployer)
