"""`predictor models list` and `predictor models show NAME`: what the registry holds."""

from __future__ import annotations

import json
from typing import Any

import click

from predictor.domain.model import ModelVersion
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.services.registry.catalog import ModelDescription

_ALIAS_TAG = "predictor.alias."


@cli.group()
def models() -> None:
    """Registered models: their versions, aliases and alias histories."""


@models.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@reports_errors
def list_models(as_json: bool) -> None:
    """Every registered model with its versions (newest first): aliases, creation time, run id,
    test metrics and description.

    \b
    Examples:
      predictor models list
      MLFLOW_TRACKING_URI=http://127.0.0.1:5000 predictor models list --json
    """
    from predictor.container import build_container

    described = build_container(settings_from_env()).list_models()()
    if as_json:
        click.echo(json.dumps([as_dict(d) for d in described], indent=2))
        return
    if not described:
        click.echo("no registered models")
    for description in described:
        echo_model(description, details=False)


@models.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@reports_errors
def show(name: str, as_json: bool) -> None:
    """One registered model: its versions, each alias's history (what rollback goes back to)
    and who moved each alias, when and why.

    \b
    Examples:
      predictor models show demo
      predictor models show demo --json
    """
    from predictor.container import build_container

    description = build_container(settings_from_env()).describe_model()(name)
    if as_json:
        click.echo(json.dumps(as_dict(description), indent=2))
    else:
        echo_model(description, details=True)


def as_dict(description: ModelDescription) -> dict[str, Any]:
    return {
        "name": description.name,
        "aliases": description.aliases,
        "history": {alias: list(versions) for alias, versions in description.history.items()},
        "versions": [version.as_dict() for version in description.versions],
    }


def echo_model(description: ModelDescription, details: bool) -> None:
    aliases = ", ".join(f"{a} -> {v}" for a, v in sorted(description.aliases.items())) or "none"
    click.echo(f"{description.name}  (aliases: {aliases})")
    if details:
        for alias, earlier in sorted(description.history.items()):
            if earlier:
                click.echo(f"  rollback of {alias} goes back to: {', '.join(reversed(earlier))}")
    width = max((len(", ".join(v.aliases)) for v in description.versions), default=0)
    for version in description.versions:
        click.echo("  " + _version_line(version, width))
        if version.description:
            click.echo(f"      description: {version.description}")
        for line in _moves(version) if details else ():
            click.echo(f"      {line}")


def _version_line(version: ModelVersion, width: int) -> str:
    created = version.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") if version.created_at else "-"
    metrics = ", ".join(f"{k}={v:.4f}" for k, v in sorted(version.metrics.items())) or "no metrics"
    return (
        f"{version.version:>4}  {', '.join(version.aliases):<{width}}  {created}  "
        f"run {version.run_id or '-'}  {metrics}"
    )


def _moves(version: ModelVersion) -> list[str]:
    """'promoted to production by alice at … (previous 1): reason' from the version's tags."""
    moves: dict[str, dict[str, str]] = {}
    for key, value in version.tags.items():
        if key.startswith(_ALIAS_TAG) and key.count(".") >= 3:
            alias, field = key.removeprefix(_ALIAS_TAG).rsplit(".", 1)
            moves.setdefault(alias, {})[field] = value
    lines = []
    for alias, move in sorted(moves.items()):
        verb = "rolled back" if move.get("action") == "rollback" else "promoted"
        line = f"{verb} to {alias} by {move.get('by', '?')} at {move.get('at', '?')}"
        if move.get("previous"):
            line += f" (from {move['previous']})"
        if move.get("reason"):
            line += f": {move['reason']}"
        lines.append(line)
    return lines


from predictor.entrypoints.cli import models_copy as _models_copy  # noqa: E402, F401  # registers `models copy`
