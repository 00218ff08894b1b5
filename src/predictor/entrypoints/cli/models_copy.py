"""`predictor models copy SRC DST`: a registered version into another registry and bucket."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import click

from predictor.domain.errors import FieldError, InvalidInput
from predictor.entrypoints.cli.base import reports_errors, settings_from_env
from predictor.entrypoints.cli.models import models

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def registry_label(tracking_uri: str) -> str:
    """The tracking URI as the lineage tag records it: no user, password or query string."""
    parts = urlsplit(tracking_uri)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    if not parts.scheme:
        return parts.path
    return f"{parts.scheme}://{netloc}{parts.path}"


def destination_name(text: str) -> str:
    name = text.removeprefix("models:/")
    if not _NAME.match(name):
        raise InvalidInput(
            [FieldError(None, "DST", f"{text!r} is not a model name; use NAME or models:/NAME")]
        )
    return name


def artifacts_root(text: str) -> str:
    """A URI as given; a local path made absolute, so the registry can find it from anywhere."""
    return text if len(urlsplit(text).scheme) > 1 else str(Path(text).expanduser().absolute())


@models.command()
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@click.option(
    "--from-tracking-uri",
    metavar="URI",
    help="The source registry (default: PREDICTOR_MLFLOW_TRACKING_URI).",
)
@click.option("--to-tracking-uri", metavar="URI", required=True, help="The destination registry.")
@click.option(
    "--to-artifacts",
    metavar="URI",
    required=True,
    help="Where the copied files go: s3://bucket/prefix or a path the destination's readers reach.",
)
@reports_errors
def copy(
    source: str, destination: str, from_tracking_uri: str | None, to_tracking_uri: str, to_artifacts: str
) -> None:
    """Copy the version SRC names (models:/NAME@ALIAS or models:/NAME/VERSION) into another
    registry as the next version of DST (NAME or models:/NAME): model files, manifest, run
    metrics, version tags, and a predictor.copied_from tag naming the source. The files are in
    place before the version is registered, so an interrupted copy registers nothing. Copying
    the same source version again does nothing. Aliases are not copied: promote it there.

    \b
    Examples:
      predictor models copy models:/demo@production models:/demo \\
          --from-tracking-uri http://mlflow.staging:5000 \\
          --to-tracking-uri http://mlflow.prod:5000 --to-artifacts s3://prod-models/predictor
    """
    from predictor.container import build_container
    from predictor.domain.model import ModelRef

    ref = ModelRef.parse(source)
    name = destination_name(destination)
    root = artifacts_root(to_artifacts)
    source_settings = settings_from_env(mlflow_tracking_uri=from_tracking_uri)
    origin = source_settings.tracking.mlflow_tracking_uri
    target = build_container(settings_from_env(mlflow_tracking_uri=to_tracking_uri, artifact_root=root))
    outcome = target.copy_model()(
        build_container(source_settings).catalog(), registry_label(origin), ref, name, root
    )
    version = outcome.version
    if outcome.copied:
        click.echo(
            f"copied {ref} ({outcome.lineage}) to models:/{name}/{version.version} at {version.source}"
        )
    else:
        click.echo(f"{outcome.lineage} is already models:/{name}/{version.version}; nothing to do")
