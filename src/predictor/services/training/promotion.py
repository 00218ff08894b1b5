"""The end of a training run that registered its model: with ``--if-better``, score the alias's
current version on the same test rows and decide; then move the alias (or keep it)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.ports import TrackedRun
from predictor.domain.schema import FeatureSchema
from predictor.services.registry.promotion import PromoteModel
from predictor.services.training.champion import ChallengeChampion
from predictor.services.training.request import TrainingOutcome, TrainingRequest

log = logging.getLogger(__name__)


def decide(
    challenge: ChallengeChampion,
    run: TrackedRun,
    outcome: TrainingOutcome,
    request: TrainingRequest,
    schema: FeatureSchema,
    rows: Sequence[Mapping[str, Any]],
    truth: npt.NDArray[np.float64],
) -> TrainingOutcome:
    """With --if-better: score the alias's current version on the same test rows (``rows`` as a
    client sends them, ``truth`` encoded), and log why the alias moves or stays."""
    if not request.if_better or request.promote_to is None:
        return outcome
    assert request.register_as is not None  # noqa: S101  # a request with promote_to has it
    decision = challenge(request.register_as, request.promote_to, schema, list(rows), truth, outcome.metrics)
    log.info(
        "promotion decided",
        extra={"alias": decision.alias, "promote": decision.promote, "metric": decision.metric,
               "candidate": decision.candidate, "current": decision.current},
    )  # fmt: skip
    run.log_dict(decision.as_dict(), "promotion.json")
    run.set_tags({"predictor.promotion": "promoted" if decision.promote else "kept"})
    if decision.current is not None:
        run.log_metrics({f"promotion_current_{decision.metric}": decision.current})
    return replace(outcome, promotion=decision)


def move_alias(
    promote: PromoteModel | None, outcome: TrainingOutcome, request: TrainingRequest
) -> TrainingOutcome:
    """Point the alias at the new version, unless --if-better decided to keep the current one."""
    decision, version = outcome.promotion, outcome.version
    if request.promote_to is None or promote is None or version is None:
        return outcome
    if decision is not None and not decision.promote:
        return outcome
    reason = decision.describe() if decision is not None else f"trained in run {outcome.run_id}"
    promote(version.name, version.version, request.promote_to, "predictor train", reason)
    return replace(outcome, alias=request.promote_to)
