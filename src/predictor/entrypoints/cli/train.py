"""`predictor train`."""

from __future__ import annotations

import click

from predictor.domain.schema import TaskType
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env


@cli.command()
@click.option("--dataset", required=True, help="A bundled data set: breast-cancer, wine or diabetes.")
@click.option("--register", "register_as", metavar="NAME", help="Register the model under NAME.")
@click.option(
    "--promote", "promote_to", metavar="ALIAS", help="Point ALIAS (e.g. production) at the new version."
)
@click.option("--seed", type=int, default=42, show_default=True, help="Seed for the split and training.")
@click.option(
    "--task", type=click.Choice([t.value for t in TaskType]), help="Force the task instead of inferring it."
)
@click.option("--experiment", help="MLflow experiment name (default: PREDICTOR_EXPERIMENT or 'predictor').")
@reports_errors
def train(
    dataset: str,
    register_as: str | None,
    promote_to: str | None,
    seed: int,
    task: str | None,
    experiment: str | None,
) -> None:
    """Train on a data set, log the run to MLflow, optionally register and promote it.

    \b
    Examples:
      predictor train --dataset breast-cancer
      predictor train --dataset breast-cancer --register demo --promote production
      MLFLOW_TRACKING_URI=http://127.0.0.1:5000 predictor train --dataset wine --register wine
    """
    from predictor.container import build_container
    from predictor.domain.training import TrainingRequest

    if promote_to and not register_as:
        raise click.UsageError("--promote needs --register NAME")
    settings = settings_from_env(experiment=experiment)
    container = build_container(settings)
    outcome = container.train_model()(
        TrainingRequest(
            dataset=dataset,
            experiment=settings.experiment,
            register_as=register_as,
            promote_to=promote_to,
            seed=seed,
            task=TaskType(task) if task else None,
        )
    )
    click.echo(
        f"run {outcome.run_id}: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(outcome.metrics.items()))
    )
    if outcome.version is not None:
        click.echo(f"registered {outcome.version.name} version {outcome.version.version}")
    if outcome.alias is not None and outcome.version is not None:
        click.echo(f"alias {outcome.alias} -> {outcome.version.name}/{outcome.version.version}")
