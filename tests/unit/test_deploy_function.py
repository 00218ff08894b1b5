"""``DeployFunction`` and ``RollBackFunction`` on the in-memory function: the alias moves only to
a version that passed its smoke test, and back only to one published before it."""

from __future__ import annotations

import pytest

from predictor.adapters.memory.delivery import InMemoryFunctionDeployer, StaticSmokeCheck
from predictor.domain.errors import FunctionNotFound, NoEarlierVersion, SmokeTestFailed
from predictor.domain.ports import FunctionCode
from predictor.services.delivery.functions import AliasMoved, DeployFunction, RollBackFunction

ZIP = FunctionCode(zip_file=b"PK-new")


def function_at(*published: bytes, alias: str | None = None) -> InMemoryFunctionDeployer:
    deployer = InMemoryFunctionDeployer()
    deployer.create("predictor", FunctionCode(zip_file=b"PK-0"))
    for code in published:
        deployer.update_code("predictor", FunctionCode(zip_file=code))
        deployer.publish_version("predictor")
    if alias is not None:
        deployer.move_alias("predictor", "live", alias)
    return deployer


def test_a_version_that_passes_its_smoke_test_gets_the_alias() -> None:
    deployer, smoke = function_at(b"PK-1", alias="1"), StaticSmokeCheck()

    moved = DeployFunction(deployer, smoke)("predictor", "live", ZIP)

    assert moved == AliasMoved("predictor", "live", previous="1", version="2")
    assert smoke.checked == [("predictor", "2")]
    assert deployer.alias_version("predictor", "live") == "2"
    assert deployer.code_of("predictor", "2") == ZIP


def test_a_failed_smoke_test_leaves_the_alias_where_it_was() -> None:
    deployer = function_at(b"PK-1", alias="1")

    with pytest.raises(SmokeTestFailed, match=r"version 2 .* answered 500.*live still names 1"):
        DeployFunction(deployer, StaticSmokeCheck("it answered 500"))("predictor", "live", ZIP)

    assert deployer.alias_version("predictor", "live") == "1"
    assert deployer.versions("predictor") == ["1", "2"]  # published, never served


def test_an_image_deploys_as_a_zip_does() -> None:
    deployer = function_at()
    image = FunctionCode(image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/predictor-lambda:abc")

    moved = DeployFunction(deployer, StaticSmokeCheck())("predictor", "live", image)

    assert (moved.previous, moved.version) == (None, "1")
    assert deployer.code_of("predictor", "1") == image


def test_code_is_exactly_one_of_an_image_or_a_zip() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FunctionCode()
    with pytest.raises(ValueError, match="exactly one"):
        FunctionCode(image_uri="x", zip_file=b"PK")


def test_rollback_goes_to_the_version_published_before_the_aliased_one() -> None:
    deployer = function_at(b"PK-1", b"PK-2", b"PK-3", alias="3")
    rollback = RollBackFunction(deployer)

    assert rollback("predictor", "live") == AliasMoved("predictor", "live", previous="3", version="2")
    assert rollback("predictor", "live").version == "1"
    with pytest.raises(NoEarlierVersion, match="names version 1, and no version was published before it"):
        rollback("predictor", "live")
    assert deployer.alias_version("predictor", "live") == "1"


def test_rollback_refuses_without_the_alias_or_the_function() -> None:
    with pytest.raises(NoEarlierVersion, match="no alias 'live'"):
        RollBackFunction(function_at(b"PK-1"))("predictor", "live")
    with pytest.raises(FunctionNotFound, match="elsewhere"):
        RollBackFunction(function_at())("elsewhere", "live")
