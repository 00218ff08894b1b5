"""`predictor predict --engine dask`: the parts of a partitioned table scored on a Dask cluster
into a directory of Parquet files, one per part (``part.00000.parquet``, ...), in input order."""

from __future__ import annotations

import glob
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from predictor.domain.errors import ConfigurationError, FieldError, InvalidInput

if TYPE_CHECKING:
    from predictor.container import Container
    from predictor.domain.options import PredictionOptions
    from predictor.services.serving.batch_scoring import BatchSummary
    from predictor.services.serving.loading import ServedModel

PART_FILES = "part.*.parquet"

Command = TypeVar("Command", bound=Callable[..., Any])


def engine_options(doing: str) -> Callable[[Command], Command]:
    """``--engine local|dask`` and ``--scheduler``, for a command that does ``doing`` the parts."""

    def add(command: Command) -> Command:
        command = click.option(
            "--scheduler",
            metavar="tcp://HOST:PORT",
            help="--engine dask: a running cluster's scheduler (default: a LocalCluster for the run).",
        )(command)
        return click.option(
            "--engine",
            type=click.Choice(["local", "dask"]),
            default="local",
            show_default=True,
            help=f"local: this process; dask: {doing} the parts on a Dask cluster (the dask extra; "
            "docs/scale.md).",
        )(command)

    return add


def check_local_input(source: Path | str, scheduler: str | None) -> None:
    """For the local engine: no directory or glob, and no --scheduler."""
    if (isinstance(source, Path) and source.is_dir()) or (isinstance(source, str) and glob.has_magic(source)):
        raise InvalidInput(
            [FieldError(None, "--input", f"{source}: a directory or glob needs --engine dask")]
        )
    if scheduler is not None:
        raise InvalidInput([FieldError(None, "--scheduler", "is for --engine dask")])


def check_cluster_extra(command: str) -> None:
    """The dask extra (and the train extra's pyarrow) is installed."""
    if any(importlib.util.find_spec(name) is None for name in ("dask", "distributed", "pyarrow")):
        raise ConfigurationError(
            f"{command} needs dask, distributed and pyarrow: install predictor[dask,train]"
        )


def check_cluster_output(destination: Path | str) -> None:
    """The dask extra is installed, and ``destination`` is a directory (made if need be) that
    holds no part files of an earlier run (fewer parts this time would leave some behind)."""
    check_cluster_extra("predictor predict --engine dask")
    if not isinstance(destination, Path):
        return
    if destination.exists() and not destination.is_dir():
        raise InvalidInput(
            [FieldError(None, "--output", f"{destination} must be a directory for --engine dask")]
        )
    earlier = sorted(destination.glob(PART_FILES)) if destination.is_dir() else []
    if earlier:
        raise InvalidInput(
            [
                FieldError(
                    None,
                    "--output",
                    f"{destination} holds {len(earlier)} part files of an earlier run "
                    f"({earlier[0].name}, ...); remove them or choose another directory",
                )
            ]
        )
    destination.mkdir(parents=True, exist_ok=True)


def predict_on_cluster(
    container: Container,
    served: ServedModel,
    source: Path | str,
    destination: Path | str,
    options: PredictionOptions,
    chunk_rows: int,
    keep: Sequence[str],
    scheduler: str | None,
) -> BatchSummary:
    """Every part predicted on the cluster at ``scheduler`` (None: a LocalCluster for the run);
    on an error, the part files this run wrote are removed, so no partial output is left."""
    from predictor.services.serving.partitioned import PredictPartitions

    if isinstance(destination, Path):
        destination = destination.absolute()  # a worker's working directory is not ours
    runner = container.adapters.partitions(scheduler=scheduler)
    use_case = PredictPartitions(container.predict_table(), runner)
    try:
        return use_case(served, source, destination, options, chunk_rows, keep)
    except BaseException:
        if isinstance(destination, Path):
            for written in glob.glob(str(destination / "part.*.parquet*")):
                Path(written).unlink(missing_ok=True)
        raise
