"""`predictor export`: a registered version as a directory that serves without a registry."""

from __future__ import annotations

from pathlib import Path

import click

from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.entrypoints.cli.locations import FileOrUri


@cli.command()
@click.argument("ref", metavar="models:/NAME@ALIAS")
@click.argument("directory", type=FileOrUri(file_okay=False))
@reports_errors
def export(ref: str, directory: Path | str) -> None:
    """Write the version REF names into DIRECTORY (a path or an s3:// URI): booster, manifest,
    MLflow signature and a version.json naming the version. The model is checked (loaded,
    smoke prediction) first.

    Serve it with `predictor serve --model-dir DIRECTORY` (PREDICTOR_MODEL_DIR): no registry,
    no mlflow import, as in a container image or on Lambda. REF may also be NAME/VERSION.

    \b
    Examples:
      predictor export models:/demo@production build/model
      predictor export models:/demo@production s3://my-bucket/models/demo-3
      PREDICTOR_API_KEYS=change-me-0123456789 predictor serve --model-dir build/model
    """
    from predictor.container import build_container
    from predictor.domain.model import ModelRef

    model_ref = ModelRef.parse(ref)
    version = build_container(settings_from_env()).export_model()(model_ref, directory)
    click.echo(f"exported {version.name} version {version.version} ({model_ref}) to {directory}")
