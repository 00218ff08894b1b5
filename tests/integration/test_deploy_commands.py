"""`predictor deploy lambda` and `predictor deploy rollback` through boto3 against moto's Lambda
on loopback: bad input is one clear line and an exit code; rollback walks the versions back and
refuses past the first. moto cannot invoke a function without Docker, so the deploy use case runs
here on moto's Lambda with the smoke check's stand-in (the real check: test_lambda_smoke_check.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from predictor.adapters.aws.lambda_deployer import LambdaFunctionDeployer
from predictor.adapters.memory.delivery import StaticSmokeCheck
from predictor.domain.errors import SmokeTestFailed
from predictor.domain.ports import FunctionCode
from predictor.entrypoints.cli import cli
from predictor.services.delivery.functions import DeployFunction
from tests.aws import fake_aws_env, lambda_function, moto_server
from tests.aws import handler_zip as zipped

pytestmark = pytest.mark.integration
FUNCTION = "predictor"


def publish(client: Any, count: int) -> None:
    """``count`` versions, each of new code (Lambda publishes no version of unchanged code)."""
    for number in range(count):
        client.update_function_code(FunctionName=FUNCTION, ZipFile=zipped(f"v{number}"))
        client.publish_version(FunctionName=FUNCTION)


@pytest.fixture
def lambda_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with moto_server() as url:
        fake_aws_env(monkeypatch, url)
        yield lambda_function(FUNCTION, zipped())


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "f.zip").write_bytes(zipped())
    (tmp_path / "smoke.json").write_text('{"instances": [{"x": 1}]}')
    return tmp_path / "f.zip", tmp_path / "smoke.json"


def deploy(*args: str) -> Any:
    return CliRunner().invoke(cli, ["deploy", *args], env={"PREDICTOR_SMOKE_API_KEY": "smoke-key-0123456789"})


def test_rollback_walks_back_one_version_at_a_time_then_refuses(lambda_client: Any) -> None:
    publish(lambda_client, 3)
    lambda_client.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="3")

    first = deploy("rollback", "--function", FUNCTION, "--alias", "live")
    second = deploy("rollback", "--function", FUNCTION)
    refused = deploy("rollback", "--function", FUNCTION)

    assert (first.exit_code, first.stdout) == (0, "predictor:live: 3 -> 2 (rolled back)\n")
    assert second.exit_code == 0
    assert refused.exit_code == 6
    assert "names version 1, and no version was published before it" in refused.output
    assert lambda_client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"] == "1"


def test_no_such_function_is_one_line_and_exit_3(lambda_client: Any, files: tuple[Path, Path]) -> None:
    zip_path, smoke = files
    rolled = deploy("rollback", "--function", "nowhere")
    deployed = deploy(
        "lambda", "--function", "nowhere", "--zip", str(zip_path), "--smoke-request", str(smoke)
    )

    for result in (rolled, deployed):
        assert result.exit_code == 3
        assert result.stderr.splitlines()[-1].startswith("error: no function named 'nowhere'")


def test_the_deploy_use_case_moves_moto_s_alias_only_past_a_smoke_test(lambda_client: Any) -> None:
    # moto cannot invoke a function without Docker: the smoke check is the port's stand-in here.
    publish(lambda_client, 1)
    lambda_client.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
    deployer = LambdaFunctionDeployer(lambda_client)

    with pytest.raises(SmokeTestFailed):
        DeployFunction(deployer, StaticSmokeCheck("it answered 500"))(
            FUNCTION, "live", FunctionCode(zip_file=zipped("v8"))
        )
    assert lambda_client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"] == "1"

    moved = DeployFunction(deployer, StaticSmokeCheck())(
        FUNCTION, "live", FunctionCode(zip_file=zipped("v9"))
    )
    assert (moved.previous, moved.version) == ("1", "3")
    assert lambda_client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"] == "3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--smoke-request", "{smoke}"], "give exactly one of --image-uri URI or --zip FILE"),
        (["--zip", "{zip}", "--image-uri", "u", "--smoke-request", "{smoke}"], "exactly one of --image-uri"),
        (["--zip", "{missing}", "--smoke-request", "{smoke}"], "Invalid value for --zip: cannot read"),
        (["--zip", "{zip}"], "Missing option '--smoke-request'"),
    ],
    ids=["neither", "both", "unreadable zip", "no smoke request"],
)
def test_bad_input_is_a_usage_error(files: tuple[Path, Path], args: list[str], message: str) -> None:
    zip_path, smoke = files
    given = [a.format(zip=zip_path, smoke=smoke, missing=zip_path.parent / "none.zip") for a in args]

    result = deploy("lambda", "--function", FUNCTION, *given)

    assert result.exit_code == 2
    assert message in result.output


def test_the_function_is_required() -> None:
    result = deploy("rollback")
    assert result.exit_code == 2
    assert "Missing option '--function'" in result.output
