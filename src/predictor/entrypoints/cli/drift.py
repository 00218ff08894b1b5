"""`predictor drift`: captured requests against the model's training data (docs/drift.md)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from predictor.domain.errors import FieldError, InvalidInput
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.entrypoints.cli.locations import FileOrUri

if TYPE_CHECKING:
    from predictor.domain.drift import Thresholds
    from predictor.services.drift.summary import DriftReport

DRIFTED = 1  # the exit code when a threshold is crossed (2 stays bad input)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str | None) -> datetime | timedelta | None:
    """An ISO 8601 moment (UTC unless it says otherwise) or a duration before now: 90m, 24h, 7d."""
    if value is None:
        return None
    duration = _DURATION.fullmatch(value.strip())
    if duration is not None:
        try:
            return timedelta(**{_UNITS[duration.group(2)]: float(duration.group(1))})
        except OverflowError:
            message = f"{value!r} is too long a duration (at most {timedelta.max.days:,} days)"
            raise InvalidInput([FieldError(None, "--since", message)]) from None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        message = f"{value!r} is neither an ISO 8601 time (2026-12-01T00:00:00Z) nor a duration (24h, 7d)"
        raise InvalidInput([FieldError(None, "--since", message)]) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@cli.command()
@click.option("--model", metavar="models:/NAME@ALIAS", help="The registered version (or NAME/VERSION).")
@click.option(
    "--model-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Or an exported model directory (`predictor export`).",
)
@click.option(
    "--captured",
    required=True,
    type=FileOrUri(),
    help="The captured requests: a directory or s3:// prefix, every *.parquet under it.",
)
@click.option(
    "--since", metavar="TIME|DURATION", help="Only the rows captured since: 2026-12-01T00:00:00Z, 24h, 7d."
)
@click.option(
    "--out",
    type=FileOrUri(file_okay=False),
    default=Path("."),
    show_default=True,
    help="Where drift.json and drift.html go: a directory or s3:// prefix.",
)
@click.option("--psi", type=click.FloatRange(min=0), default=0.2, show_default=True, help="PSI threshold.")
@click.option("--ks", type=click.FloatRange(min=0), default=0.1, show_default=True, help="KS threshold.")
@click.option(
    "--share-change", type=click.FloatRange(min=0), default=0.1, show_default=True,
    help="Threshold on a category's (or class's) share change.",
)  # fmt: skip
@click.option(
    "--missing-change", type=click.FloatRange(min=0), default=0.1, show_default=True,
    help="Threshold on the missing-value rate's change.",
)  # fmt: skip
@reports_errors
def drift(
    model: str | None,
    model_dir: Path | None,
    captured: Path | str,
    since: str | None,
    out: Path | str,
    psi: float,
    ks: float,
    share_change: float,
    missing_change: float,
) -> None:
    """Compare the requests captured for a model with its training data's reference profile.

    Reports PSI and KS per numeric feature, category share changes per categorical feature,
    the missing-value rate of each, and the predictions' distribution; writes drift.json and
    drift.html into --out and logs both to an MLflow run. Exit codes: 0 no threshold crossed,
    1 drift (a threshold crossed), 2 bad input (no captured file, missing columns, wrong
    types, a bad --since, a model trained without a reference profile).

    \b
    Examples:
      predictor drift --model models:/demo@production --captured captures/demo --since 24h
      predictor drift --model demo/3 --captured s3://my-bucket/captures/demo --out s3://my-bucket/drift
      predictor drift --model-dir build/model --captured captures/demo --psi 0.25 --ks 0.15
    """
    if (model is None) == (model_dir is None):
        message = "name the model with --model models:/NAME@ALIAS or --model-dir DIR"
        raise InvalidInput([FieldError(None, "--model", message)])
    from predictor.domain.drift import Thresholds

    thresholds = Thresholds(psi=psi, ks=ks, missing=missing_change, shares=share_change)
    report = _report(model, model_dir, str(captured), str(out), parse_since(since), thresholds)
    _echo(report, out)
    if report.drifted:
        sys.exit(DRIFTED)


def _report(
    model: str | None,
    model_dir: Path | None,
    captured: str,
    out: str,
    since: datetime | timedelta | None,
    thresholds: Thresholds,
) -> DriftReport:
    from predictor.container import build_container
    from predictor.container.drift import report_drift
    from predictor.domain.model import ModelRef
    from predictor.services.drift.report import DriftRequest

    settings = settings_from_env(model_dir=model_dir)
    container = build_container(settings)
    ref = ModelRef.parse(model) if model is not None else container.model_ref()
    request = DriftRequest(ref, captured, out, since, thresholds, settings.tracking.experiment)
    return report_drift(container)(request)


def _echo(report: DriftReport, out: Path | str) -> None:
    found = ", ".join(f"{c.name} ({', '.join(c.flags)})" for c in report.features if c.flags)
    if report.prediction.flags:
        found = ", ".join(filter(None, [found, f"the predictions ({', '.join(report.prediction.flags)})"]))
    click.echo(
        f"compared {report.rows:,} captured rows with {report.model} version {report.version}'s training "
        f"data: {'drift in ' + found if found else 'no drift'}; wrote drift.json and drift.html to {out} "
        f"(run {report.run_id})"
        + (f"; left out {sum(report.left_out.values()):,} rows of other versions" if report.left_out else "")
    )
