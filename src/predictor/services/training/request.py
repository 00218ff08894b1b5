"""What a training run is asked for, checked once when it is made, and what it gives back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from predictor.domain.errors import ConfigurationError
from predictor.domain.evaluation import EvaluationReport
from predictor.domain.model import ModelVersion
from predictor.domain.preprocessing import PreprocessingSettings
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.domain.search import TuningBudget, TuningResult
from predictor.domain.table import ReadOptions
from predictor.services.training.champion import PromotionDecision
from predictor.services.training.data_checks import DataReport
from predictor.services.training.tuning import CV_FOLDS


@dataclass(frozen=True)
class TrainingRequest:
    """One training run. Made only valid: a contradictory request raises ``ConfigurationError``
    (the CLI reports it as one line, exit code 2), before any data is read."""

    dataset: str
    experiment: str = "predictor"
    register_as: str | None = None
    promote_to: str | None = None
    if_better: bool = False  # move promote_to only if the new version beats the current one
    seed: int = 42
    test_fraction: float = 0.2
    valid_fraction: float = 0.2
    task: TaskType | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    read: ReadOptions = field(default_factory=ReadOptions)
    drop: tuple[str, ...] = ()
    preprocessing: PreprocessingSettings = field(default_factory=PreprocessingSettings)
    tuning: TuningBudget | None = None
    cv_folds: int = CV_FOLDS  # tuning scores trials by k-fold cross-validation; 1: on the validation rows
    plots: bool = True

    def __post_init__(self) -> None:
        if self.promote_to is not None and self.register_as is None:
            raise ConfigurationError(
                "--promote needs --register NAME: only a registered version has an alias"
            )
        if self.if_better and self.promote_to is None:
            raise ConfigurationError("--if-better needs --promote ALIAS")
        if self.cv_folds < 1:
            raise ConfigurationError(f"--cv-folds must be at least 1, not {self.cv_folds}")

    @property
    def kind(self) -> str:
        return "tune" if self.tuning is not None else "train"

    def check_adapters(self, tuner: object, challenge: object, promote: object) -> None:
        """What this request needs of a use case's adapters (None: that adapter is missing)."""
        if self.tuning is not None and tuner is None:
            raise ConfigurationError("tuning needs a tuner; this adapter set has none")
        if self.if_better and challenge is None:
            raise ConfigurationError("--if-better needs a model runtime to score the current version")
        if self.promote_to is not None and promote is None:
            raise ConfigurationError("--promote needs the promote use case; this adapter set has none")


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str
    metrics: Mapping[str, float]
    schema: FeatureSchema
    version: ModelVersion | None = None
    alias: str | None = None
    report: DataReport | None = None
    evaluation: EvaluationReport | None = None
    tuning: TuningResult | None = None
    promotion: PromotionDecision | None = None
    plots: tuple[str, ...] = ()
    source: str = ""  # where the run stored the model, as the registry registers it
