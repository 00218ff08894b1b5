"""`predictor promote` and `predictor rollback`: move an alias, with who, when and why."""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.entrypoints.cli.promote_gate import gated, refuse_ungated_options, shadow_gate
from predictor.services.registry.promotion import AliasMove

# MLflow's model stages are deprecated in favour of aliases; the stages a user may still type.
STAGES = {"Staging": "staging", "Production": "production"}


def current_user() -> str:
    """Who is moving the alias: PREDICTOR_USER, else the login name."""
    try:
        return os.environ.get("PREDICTOR_USER") or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


def _echo_move(move: AliasMove) -> None:
    if not move.changed:
        click.echo(f"{move.ref} already names version {move.version}; nothing changed")
        return
    verb = "rolled back" if move.action == "rollback" else "promoted"
    click.echo(f"{move.ref}: {move.previous or 'nothing'} -> {move.version} ({verb} by {move.by})")
    earlier = ", ".join(reversed(move.history)) or "none"
    click.echo(f"rollback would go back to: {earlier}")


@cli.command()
@click.argument("name")
@click.option("--version", "version", required=True, metavar="N", help="The version to promote.")
@click.option("--to", "alias", metavar="ALIAS", help="The alias to point at it: staging, production, ...")
@click.option(
    "--stage",
    type=click.Choice(sorted(STAGES), case_sensitive=False),  # gives back the choice as listed
    help="Deprecated MLflow stage name; mapped to the alias of the same name (lower case).",
)
@click.option("--reason", default="", help="Why, recorded on the version (shown by `models show`).")
@click.option("--by", default=None, help="Who, recorded on the version (default: PREDICTOR_USER or login).")
@shadow_gate
@reports_errors
def promote(
    name: str,
    version: str,
    alias: str | None,
    stage: str | None,
    reason: str,
    by: str | None,
    if_shadow_agrees: bool,
    **gate: Any,
) -> None:
    """Point ALIAS of model NAME at version N; the version it leaves goes on the alias's history.

    \b
    Examples:
      predictor promote demo --version 3 --to staging
      predictor promote demo --version 3 --to production --reason "better recall on March data"
      predictor promote demo --version 3 --stage Production     # same as --to production
      predictor promote demo --version 4 --to production --if-shadow-agrees --server http://127.0.0.1:8000
    """
    if (alias is None) == (stage is None):
        raise click.UsageError("give exactly one of --to ALIAS or --stage STAGE")
    if stage is not None:
        alias = STAGES[stage]
        click.echo(
            f"note: MLflow model stages are deprecated; --stage {stage} moves the alias {alias!r} instead"
        )
    assert alias is not None  # noqa: S101  # one of the two is set, checked above
    if not if_shadow_agrees:
        refuse_ungated_options(gate)
    if if_shadow_agrees:
        _echo_move(gated(name, version, alias, by or current_user(), reason, gate))
        return
    from predictor.container import build_container

    container = build_container(settings_from_env())
    _echo_move(container.promote_model()(name, version, alias, by or current_user(), reason))


@cli.command()
@click.argument("name")
@click.option("--alias", default="production", show_default=True, help="The alias to move back.")
@click.option("--reason", default="", help="Why, recorded on the version.")
@click.option("--by", default=None, help="Who, recorded on the version (default: PREDICTOR_USER or login).")
@reports_errors
def rollback(name: str, alias: str, reason: str, by: str | None) -> None:
    """Point ALIAS of model NAME back at the version it named before its last promotion.

    Rolling back twice goes back two promotions; with no earlier version it refuses (exit 6).

    \b
    Examples:
      predictor rollback demo
      predictor rollback demo --alias staging --reason "latency regression"
    """
    from predictor.container import build_container

    container = build_container(settings_from_env())
    _echo_move(container.rollback_model()(name, alias, by or current_user(), reason))
