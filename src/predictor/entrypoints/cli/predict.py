"""`predictor predict`: batch scoring of a CSV or Parquet file into a Parquet file."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from predictor.domain.errors import ConfigurationError, FieldError, InvalidInput
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.entrypoints.cli.locations import FileOrUri, TableSource, file_name
from predictor.entrypoints.cli.partitioned import (
    check_cluster_output,
    check_local_input,
    engine_options,
    predict_on_cluster,
)
from predictor.entrypoints.cli.progress import RowProgress

if TYPE_CHECKING:
    from collections.abc import Sequence

    from predictor.container import Container
    from predictor.domain.options import PredictionOptions
    from predictor.services.serving.batch_scoring import BatchSummary
    from predictor.services.serving.loading import ServedModel


def _served(model: str | None, model_dir: Path | None) -> tuple[Container, ServedModel]:
    """The container for the named model, and that model loaded as the serving core gets it:
    through the container's keeper, into the served models."""
    if (model is None) == (model_dir is None):
        raise InvalidInput(
            [FieldError(None, "--model", "name the model with --model models:/NAME@ALIAS or --model-dir DIR")]
        )
    from predictor.container import build_container

    container = build_container(settings_from_env(model_dir=model_dir))
    if model is not None:
        from predictor.domain.model import ModelRef

        container.model_ref.override(ModelRef.parse(model))
    container.model_keeper().load()
    return container, container.served_models().get(container.model_ref().name)


@cli.command()
@click.option("--model", "model", metavar="models:/NAME@ALIAS", help="The registered version to use.")
@click.option(
    "--model-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Or an exported model directory (`predictor export`): no registry, no mlflow.",
)
@click.option(
    "--input",
    "source",
    required=True,
    type=TableSource(),
    help="CSV (.csv, or .tsv for tabs) with a header line, or Parquet (.parquet, .pq); a path or s3:// URI. "
    "--engine dask: also a directory of them or a glob ('data/*.parquet').",
)
@click.option(
    "--output",
    "destination",
    required=True,
    type=FileOrUri(),
    help="Parquet file: a path or s3:// URI. --engine dask: a directory, for part.00000.parquet, ...",
)
@click.option(
    "--chunk-rows", type=click.IntRange(min=1), default=50_000, show_default=True, help="Rows per chunk."
)
@click.option(
    "--columns",
    "output",
    type=click.Choice(["label", "probabilities", "both"]),
    help="Classifiers: write the label, every class's probability, or both (default).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Binary classifiers: positive when P(positive) >= this (default PREDICTOR_DECISION_THRESHOLD).",
)
@click.option(
    "--keep-columns", "keep", multiple=True, metavar="NAME", help="Copy this input column to the output."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@engine_options("score")
@reports_errors
def predict(
    model: str | None,
    model_dir: Path | None,
    source: Path | str,
    destination: Path | str,
    chunk_rows: int,
    output: str | None,
    threshold: float | None,
    keep: tuple[str, ...],
    quiet: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Predict every row of a CSV or Parquet file into a Parquet file, in input order.

    The file is read and predicted in chunks, so memory stays flat however large it is. The
    output has, per row, the kept columns, then `label` and `probability_<class>` per class
    (classifiers) or `value` (regression). A bad value stops the run with its row (counted from
    1, the header excluded) and field, exit code 2, and no output file.

    \b
    Examples:
      predictor predict --model models:/demo@production --input rows.csv --output predictions.parquet
      predictor predict --model-dir build/model --input rows.parquet --output out.parquet --keep-columns id
      predictor predict --model-dir build/model --input s3://bucket/rows.csv --output s3://bucket/out.parquet
      predictor predict --model-dir build/model --engine dask --input 'data/*.parquet' --output out/
    """
    on_cluster = engine == "dask"
    check_cluster_output(destination) if on_cluster else _check_can_write(source, destination, scheduler)
    from predictor.domain.options import Output, PredictionOptions

    container, served = _served(model, model_dir)
    options = PredictionOptions(Output(output) if output else None, threshold)
    started = time.monotonic()
    scoring = (container, served, source, destination, options, chunk_rows, keep)
    summary = predict_on_cluster(*scoring, scheduler) if on_cluster else _predict_here(*scoring, quiet)
    _echo_done(summary.rows, file_name(source), served, destination, time.monotonic() - started)


def _predict_here(
    container: Container,
    served: ServedModel,
    source: Path | str,
    destination: Path | str,
    options: PredictionOptions,
    chunk_rows: int,
    keep: Sequence[str],
    quiet: bool,
) -> BatchSummary:
    """The single-process engine, with a progress bar on a terminal."""
    with RowProgress(f"predicting {file_name(source)}", not quiet and sys.stderr.isatty()) as progress:
        return container.predict_table()(served, source, destination, options, chunk_rows, keep, progress)


def _check_can_write(source: Path | str, destination: Path | str, scheduler: str | None) -> None:
    """pyarrow and rich are installed, ``source`` is one file, and ``destination`` names a Parquet file."""
    check_local_input(source, scheduler)
    if importlib.util.find_spec("pyarrow") is None or importlib.util.find_spec("rich") is None:
        raise ConfigurationError("predictor predict needs pyarrow and rich: install predictor[train]")
    output_name = file_name(destination)
    if not output_name.lower().endswith((".parquet", ".pq")):
        raise InvalidInput([FieldError(None, "--output", f"{output_name} must be a .parquet file")])


def _echo_done(
    rows: int, source_name: str, served: ServedModel, destination: Path | str, seconds: float
) -> None:
    version = served.version
    click.echo(
        f"predicted {rows:,} rows of {source_name} with {version.name} version {version.version} "
        f"into {destination} in {seconds:.1f} s ({rows / max(seconds, 1e-9):,.0f} rows/s)"
    )
