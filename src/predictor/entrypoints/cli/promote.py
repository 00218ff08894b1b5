"""`predictor promote` and `predictor rollback`: move an alias, with who, when and why."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.services.registry.promotion import AliasMove

F = TypeVar("F", bound=Callable[..., Any])

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


# The options of --if-shadow-agrees: where the summary is read, and its thresholds (docs/shadow.md).
SHADOW_GATE_OPTIONS = [
    click.option(
        "--if-shadow-agrees",
        is_flag=True,
        help="Promote only if version N, running as the shadow of the version ALIAS names now on "
        "--server, meets the thresholds below (docs/shadow.md); else exit 9, nothing moved.",
    ),
    click.option("--server", metavar="URL", help="The server whose shadow summary is read."),
    click.option(
        "--admin-key",
        envvar="PREDICTOR_ADMIN_KEY",
        help="An admin key of that server (default: PREDICTOR_ADMIN_KEY).",
    ),
    click.option(
        "--min-shadow-requests",
        type=click.IntRange(min=1),
        default=1000,
        show_default=True,
        help="Requests the shadow must have scored for the pair.",
    ),
    click.option(
        "--min-agreement",
        type=click.FloatRange(0, 1),
        default=0.99,
        show_default=True,
        help="Share of rows given the same label (classifiers).",
    ),
    click.option(
        "--max-difference",
        type=click.FloatRange(min=0),
        default=0.2,
        show_default=True,
        help="Largest absolute difference on any row (probability; a regressor: the target's unit).",
    ),
    click.option(
        "--max-shadow-errors",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Requests the shadow may have failed to score.",
    ),
]


def shadow_gate(command: F) -> F:
    """``command`` with ``SHADOW_GATE_OPTIONS``."""
    for option in reversed(SHADOW_GATE_OPTIONS):
        command = option(command)
    return command


def _gated(name: str, version: str, alias: str, by: str, reason: str, gate: dict[str, Any]) -> AliasMove:
    if not gate["server"] or not gate["admin_key"]:
        raise click.UsageError("--if-shadow-agrees needs --server URL and an admin key (--admin-key)")
    from predictor.container import build_container
    from predictor.container.shadow import promote_if_shadow_agrees
    from predictor.services.registry.shadow_gate import ShadowThresholds

    thresholds = ShadowThresholds(
        gate["min_shadow_requests"], gate["min_agreement"], gate["max_difference"], gate["max_shadow_errors"]
    )
    promote = promote_if_shadow_agrees(
        build_container(settings_from_env()), gate["server"], gate["admin_key"]
    )
    return promote(name, version, alias, by, reason, thresholds)


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
    if if_shadow_agrees:
        _echo_move(_gated(name, version, alias, by or current_user(), reason, gate))
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
