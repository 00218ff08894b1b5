"""The shadow gate of `predictor promote --if-shadow-agrees`: its options, and the gated move."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from predictor.entrypoints.cli.base import settings_from_env
from predictor.services.registry.promotion import AliasMove

F = TypeVar("F", bound=Callable[..., Any])

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
        "--served-name",
        metavar="SERVED",
        help="The name NAME is served under on --server (its /v1/models/SERVED/shadow; default: NAME).",
    ),
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
    click.option(
        "--max-incompatible",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Requests the shadow could not take (rows that do not fit its schema).",
    ),
]


def shadow_gate(command: F) -> F:
    """``command`` with ``SHADOW_GATE_OPTIONS``."""
    for option in reversed(SHADOW_GATE_OPTIONS):
        command = option(command)
    return command


def gated(name: str, version: str, alias: str, by: str, reason: str, gate: dict[str, Any]) -> AliasMove:
    if not gate["server"] or not gate["admin_key"]:
        raise click.UsageError("--if-shadow-agrees needs --server URL and an admin key (--admin-key)")
    from predictor.container import build_container
    from predictor.container.shadow import promote_if_shadow_agrees
    from predictor.services.registry.shadow_gate import ShadowThresholds

    thresholds = ShadowThresholds(
        gate["min_shadow_requests"],
        gate["min_agreement"],
        gate["max_difference"],
        gate["max_shadow_errors"],
        gate["max_incompatible"],
    )
    promote = promote_if_shadow_agrees(
        build_container(settings_from_env()), gate["server"], gate["admin_key"]
    )
    return promote(name, version, alias, by, reason, thresholds, gate["served_name"] or name)


def refuse_ungated_options(gate: dict[str, Any]) -> None:
    """Options of the gate given without --if-shadow-agrees would be ignored: refuse them."""
    context = click.get_current_context()
    given = [
        f"--{key.replace('_', '-')}"
        for key in gate
        if context.get_parameter_source(key) is click.core.ParameterSource.COMMANDLINE
    ]
    if given:
        raise click.UsageError(f"{', '.join(given)} only apply with --if-shadow-agrees")
