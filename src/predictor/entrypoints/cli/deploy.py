"""`predictor deploy lambda` and `predictor deploy rollback`: a function's alias, moved with care."""

from __future__ import annotations

from pathlib import Path

import click

from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env


@cli.group()
def deploy() -> None:
    """Deploy the AWS Lambda function, or roll its alias back (credentials: boto3's default chain)."""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=what) from None


@deploy.command("lambda")
@click.option("--function", "function", required=True, metavar="NAME", help="The function's name or ARN.")
@click.option("--alias", default="live", show_default=True, help="The alias to move to the new version.")
@click.option("--image-uri", metavar="URI", help="A container image in ECR as the new code.")
@click.option(
    "--zip", "zip_path", type=click.Path(path_type=Path), help="A zip (make lambda-zip) as the new code."
)
@click.option(
    "--smoke-request",
    "smoke_path",
    required=True,
    type=click.Path(path_type=Path),
    help='A JSON body for POST /predict, e.g. {"instances": [{...}]}; the new version must answer 200.',
)
@click.option(
    "--api-key", envvar="PREDICTOR_SMOKE_API_KEY", required=True, help="The key the smoke request sends."
)
@reports_errors
def deploy_lambda(
    function: str, alias: str, image_uri: str | None, zip_path: Path | None, smoke_path: Path, api_key: str
) -> None:
    """Update the code, publish a version, smoke-test it, and only then move ALIAS to it.

    A failed smoke test leaves the alias where it was (exit 8).

    \b
    Examples:
      predictor deploy lambda --function predictor --zip build/predictor-lambda.zip --smoke-request smoke.json
      predictor deploy lambda --function predictor --smoke-request smoke.json \\
        --image-uri 123456789012.dkr.ecr.eu-west-1.amazonaws.com/predictor-lambda:abc
    """
    if (image_uri is None) == (zip_path is None):
        raise click.UsageError("give exactly one of --image-uri URI or --zip FILE")
    from predictor.container.delivery import deploy_function
    from predictor.domain.ports import FunctionCode

    code = (
        FunctionCode(image_uri=image_uri)
        if zip_path is None
        else FunctionCode(zip_file=_read(zip_path, "--zip"))
    )
    body = _read(smoke_path, "--smoke-request").decode("utf-8", "replace")
    settings_from_env()
    moved = deploy_function(body, api_key)(function, alias, code)
    click.echo(f"{function}:{alias}: {moved.previous or 'nothing'} -> {moved.version} (smoke test passed)")


@deploy.command("rollback")
@click.option("--function", "function", required=True, metavar="NAME", help="The function's name or ARN.")
@click.option("--alias", default="live", show_default=True, help="The alias to move back.")
@reports_errors
def deploy_rollback(function: str, alias: str) -> None:
    """Point ALIAS back at the newest version published before the one it names (exit 6: none)."""
    from predictor.container.delivery import rollback_function

    settings_from_env()
    moved = rollback_function()(function, alias)
    click.echo(f"{function}:{alias}: {moved.previous} -> {moved.version} (rolled back)")
