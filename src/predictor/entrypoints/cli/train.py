"""`predictor train`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from predictor.domain.errors import DataCheckFailed
from predictor.domain.preprocessing import MissingValues
from predictor.domain.schema import TaskType
from predictor.domain.table import DEFAULT_NA_VALUES
from predictor.entrypoints.cli.base import cli, exit_code_for, reports_errors, settings_from_env
from predictor.entrypoints.cli.partitioned import check_cluster_extra, engine_options

if TYPE_CHECKING:
    from predictor.config import Settings
    from predictor.domain.search import TuningBudget
    from predictor.services.training.pipeline import TrainingRequest


@cli.command()
@click.option("--dataset", help="A bundled data set: breast-cancer, wine or diabetes.")
@click.option(
    "--data",
    "data_path",
    metavar="PATH",
    help="A CSV (.csv, .tsv, .txt) or Parquet file: a path or an s3:// URI; with --engine dask, "
    "a directory or a glob of them (quoted).",
)
@click.option("--target", metavar="COLUMN", help="The column to predict (required with --data).")
@click.option("--delimiter", metavar="CHAR", help="CSV delimiter (default: guessed; 'tab' for tabs).")
@click.option("--no-header", is_flag=True, help="The CSV's first line is data; columns become column_1…")
@click.option(
    "--na-value",
    "na_values",
    multiple=True,
    metavar="TEXT",
    help="A CSV marker of a missing value besides the usual ones (repeatable; default: '?').",
)
@click.option("--drop", multiple=True, metavar="COLUMN", help="Leave a column out (repeatable).")
@click.option(
    "--task", type=click.Choice([t.value for t in TaskType]), help="Force the task instead of inferring it."
)
@click.option(
    "--missing",
    type=click.Choice([m.value for m in MissingValues]),
    default=MissingValues.XGBOOST.value,
    show_default=True,
    help="Leave missing values to XGBoost, or impute them (fitted on the training rows).",
)
@click.option("--scale", is_flag=True, help="Standardise numeric columns (trees do not need it).")
@click.option("--trials", type=click.IntRange(min=1), help="Tune with Optuna for N trials.")
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS", help="Tune for at most SECONDS.")
@click.option(
    "--cv-folds",
    type=click.IntRange(min=1),
    metavar="K",
    help="Score tuning trials by K-fold cross-validation of the non-test rows (1: on the validation "
    "rows). Default: 5; with --engine dask, 1 (the only choice there).",
)
@click.option("--register", "register_as", metavar="NAME", help="Register the model under NAME.")
@click.option("--promote", "promote_to", metavar="ALIAS", help="Point ALIAS (staging, production…) at it.")
@click.option("--if-better", is_flag=True, help="Only promote if it beats ALIAS's version on the test rows.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed for splits, training, tuning.")
@click.option("--experiment", help="MLflow experiment name (default: PREDICTOR_EXPERIMENT or 'predictor').")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
@engine_options("train on")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@reports_errors
def train(**given: Any) -> None:
    """Check the data, train (and tune) an XGBoost model, evaluate it on held-out rows, log
    everything to MLflow, and optionally register and promote it.

    \b
    Examples:
      predictor train --dataset breast-cancer
      predictor train --dataset breast-cancer --trials 30 --register demo --promote staging
      predictor train --data adult.csv --target income --na-value '?' --missing median
      predictor train --data s3://my-bucket/data/adult.parquet --target income
      predictor train --dataset wine --register wine --promote production --if-better
      predictor train --engine dask --data 'data/*.parquet' --target income
    """
    options = _TrainOptions(**given)
    if (options.dataset is None) == (options.data_path is None):
        raise click.UsageError("give exactly one of --dataset NAME or --data PATH")
    if options.engine == "dask" and options.data_path is None:
        raise click.UsageError("--engine dask trains on --data PATH (a file, a directory or a glob)")
    if options.scheduler is not None and options.engine != "dask":
        raise click.UsageError("--scheduler is for --engine dask")
    settings = settings_from_env(experiment=options.experiment)
    _run(settings, options.request(settings), options)


@dataclass(frozen=True, kw_only=True)
class _TrainOptions:
    """The command's options, as click parsed them (named as its parameters)."""

    dataset: str | None
    data_path: str | None
    target: str | None
    delimiter: str | None
    no_header: bool
    na_values: tuple[str, ...]
    drop: tuple[str, ...]
    task: str | None
    missing: str
    scale: bool
    trials: int | None
    timeout: float | None
    cv_folds: int | None
    register_as: str | None
    promote_to: str | None
    if_better: bool
    seed: int
    experiment: str | None
    no_plots: bool
    engine: str
    scheduler: str | None
    quiet: bool

    def request(self, settings: Settings) -> TrainingRequest:
        """The training request these options make; it checks itself (--promote without
        --register, …): a ConfigurationError, exit code 2."""
        from predictor.domain.preprocessing import PreprocessingSettings
        from predictor.domain.table import ReadOptions
        from predictor.services.training.pipeline import TrainingRequest
        from predictor.services.training.tuning import CV_FOLDS

        na_values = tuple(self.na_values) or DEFAULT_NA_VALUES
        return TrainingRequest(
            dataset=str(self.data_path or self.dataset),
            experiment=settings.tracking.experiment,
            register_as=self.register_as,
            promote_to=self.promote_to,
            if_better=self.if_better,
            seed=self.seed,
            task=TaskType(self.task) if self.task else None,
            read=ReadOptions(self.target, self.delimiter, not self.no_header, na_values),
            drop=self.drop,
            preprocessing=PreprocessingSettings(MissingValues(self.missing), self.scale),
            tuning=_budget(self.trials, self.timeout, settings),
            cv_folds=self.cv_folds or (1 if self.engine == "dask" else CV_FOLDS),
            plots=not self.no_plots,
        )


def _budget(trials: int | None, timeout: float | None, settings: Settings) -> TuningBudget | None:
    """The tuning budget, when --trials or --timeout asks for tuning."""
    from predictor.domain.search import TuningBudget

    if trials is None and timeout is None:
        return None
    return TuningBudget(trials=trials, timeout=timeout, parallel=settings.tuning.tuning_parallel_trials)


def _run(settings: Settings, request: TrainingRequest, options: _TrainOptions) -> None:
    """Train as ``request`` says, with a progress bar while tuning, and print the outcome."""
    from predictor.container import build_container
    from predictor.entrypoints.cli.progress import RichTuningProgress
    from predictor.entrypoints.cli.summary import print_outcome

    container = build_container(settings)
    tuning = request.tuning is not None
    progress = RichTuningProgress() if tuning and RichTuningProgress.wanted(options.quiet) else None
    try:
        if options.engine == "dask":
            check_cluster_extra("predictor train --engine dask")
            cluster = container.adapters.training_cluster(scheduler=options.scheduler)
            outcome = container.train_on_cluster(cluster=cluster)(request, progress)
        else:
            outcome = container.train_model()(request, progress)
    except DataCheckFailed as failed:
        for problem in failed.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(exit_code_for(failed))
    print_outcome(outcome, click.echo)
