"""TrainModel on the in-memory adapters: checks, tuning as nested runs, plots, promotion rules."""

from __future__ import annotations

import pytest

from predictor.adapters.memory import (
    InMemoryExperimentTracker,
    RecordingReportRenderer,
    SeededRandomTuner,
    synthetic_table,
)
from predictor.container import Container
from predictor.domain.errors import ConfigurationError, DataCheckFailed
from predictor.domain.evaluation import PlotKind
from predictor.domain.model import ModelRef
from predictor.domain.schema import TaskType
from predictor.domain.search import TuningBudget
from predictor.domain.table import Table
from predictor.services.training.pipeline import TrainingRequest, TrainModel
from tests.unit.builders import memory_container


def tracker(container: Container) -> InMemoryExperimentTracker:
    found = container.adapters.tracker()
    assert isinstance(found, InMemoryExperimentTracker)
    return found


def test_a_run_carries_the_data_report_history_importance_plots_and_tags(container: Container) -> None:
    outcome = container.train_model()(TrainingRequest(dataset="synthetic", register_as="demo"))
    (run,) = tracker(container).runs
    assert run.documents["data_checks.json"]["column_types"]["colour"] == "categorical"
    assert set(run.documents["feature_importance.json"]) == {"x1", "x2", "colour"}
    assert run.documents["evaluation.json"]["confusion_matrix"] == outcome.evaluation.confusion  # type: ignore[union-attr]
    assert run.histories["valid_rmse"]
    renderer = container.adapters.renderer()
    assert isinstance(renderer, RecordingReportRenderer)
    assert renderer.rendered == [
        PlotKind.ROC_CURVE, PlotKind.PRECISION_RECALL, PlotKind.CONFUSION_MATRIX,
        PlotKind.CALIBRATION, PlotKind.FEATURE_IMPORTANCE,
    ]  # fmt: skip
    assert set(run.files) == {f"plots/{p.value}.png" for p in renderer.rendered}
    assert outcome.version is not None
    assert outcome.version.tags["predictor.data_fingerprint"] == run.tags["predictor.data_fingerprint"]
    assert float(outcome.version.tags["predictor.metric.test_roc_auc"]) == pytest.approx(
        outcome.metrics["roc_auc"], rel=1e-5
    )


def test_regression_asks_for_residuals_and_importance() -> None:
    container = memory_container(TaskType.REGRESSION)
    container.train_model()(TrainingRequest(dataset="synthetic"))
    assert container.adapters.renderer().rendered == [PlotKind.RESIDUALS, PlotKind.FEATURE_IMPORTANCE]


def test_a_failing_check_stops_before_training_and_fails_the_run(container: Container) -> None:
    columns = dict(synthetic_table().columns)
    columns["leak"] = columns["label"]
    container.adapters.datasets().tables["leaky"] = Table("leaky", columns, target="label")
    with pytest.raises(DataCheckFailed, match="column 'leak' is the target in disguise"):
        container.train_model()(TrainingRequest(dataset="leaky"))
    (run,) = tracker(container).runs
    assert run.failed
    assert run.documents["data_checks.json"]["problems"]
    assert container.adapters.trainer().fits == []
    # Dropping the column is the way out.
    container.train_model()(TrainingRequest(dataset="leaky", drop=("leak",)))


def test_tuning_logs_each_trial_as_a_nested_run_and_refits_the_best(container: Container) -> None:
    outcome = container.train_model()(
        TrainingRequest(dataset="synthetic", tuning=TuningBudget(trials=4), register_as="demo")
    )
    parent = tracker(container).runs[0]
    children = tracker(container).children(parent)
    assert [c.name for c in children] == [f"trial-{n}" for n in range(4)]
    assert all(c.finished and c.tags["predictor.trial.state"] == "complete" for c in children)
    assert outcome.tuning is not None
    best = outcome.tuning.best
    assert parent.documents["tuning.json"]["best_trial"] == best.number
    final = container.adapters.trainer().fits[-1]
    assert final["params"] == best.params
    assert (final["rounds"], final["patience"]) == (1, 0)
    assert final["rows"] == 200 - len(outcome.evaluation.truth)  # type: ignore[union-attr]  # train + valid
    assert all(fit["threads"] == 1 for fit in container.adapters.trainer().fits[:-1])
    tuner = container.adapters.tuner()
    assert isinstance(tuner, SeededRandomTuner)
    assert tuner.searches == [TuningBudget(trials=4)]


def test_tuning_scores_each_trial_by_five_fold_cross_validation_of_the_non_test_rows(
    container: Container,
) -> None:
    outcome = container.train_model()(TrainingRequest(dataset="synthetic", tuning=TuningBudget(trials=3)))
    test_rows = len(outcome.evaluation.truth)  # type: ignore[union-attr]
    *trial_fits, final = container.adapters.trainer().fits
    # 3 trials x 5 folds, each trained on 4/5 of the training + validation rows.
    assert len(trial_fits) == 15
    assert {fit["rows"] for fit in trial_fits} == {(200 - test_rows) * 4 // 5}
    # The folds stop together on their mean curve: the trainer is not asked to stop one on its own.
    assert all(fit["patience"] is None for fit in trial_fits)
    assert final["rows"] == 200 - test_rows
    assert outcome.tuning is not None
    assert outcome.tuning.folds == 5
    parent = tracker(container).runs[0]
    assert parent.params["tuning_cv_folds"] == 5
    assert parent.documents["tuning.json"]["cv_folds"] == 5


def test_one_fold_scores_trials_on_the_validation_rows(container: Container) -> None:
    outcome = container.train_model()(
        TrainingRequest(dataset="synthetic", tuning=TuningBudget(trials=3), cv_folds=1)
    )
    *trial_fits, final = container.adapters.trainer().fits
    parent = tracker(container).runs[0]
    assert len(trial_fits) == 3
    assert {fit["rows"] for fit in trial_fits} == {parent.params["rows_train"]}
    assert final["rows"] == parent.params["rows_train"] + parent.params["rows_valid"]
    assert outcome.tuning is not None
    assert outcome.tuning.folds == 1


@pytest.mark.parametrize(("folds", "message"), [(0, "at least 1"), (1000, "1000 folds need at least")])
def test_impossible_fold_counts_stop_with_a_configuration_error(
    container: Container, folds: int, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        container.train_model()(
            TrainingRequest(dataset="synthetic", tuning=TuningBudget(trials=2), cv_folds=folds)
        )
    assert container.adapters.trainer().fits == []


def test_tuning_is_repeatable_with_a_seed() -> None:
    first, second = (
        memory_container().train_model()(
            TrainingRequest(dataset="synthetic", seed=3, tuning=TuningBudget(trials=3))
        )
        for _ in range(2)
    )
    assert first.tuning is not None
    assert second.tuning is not None
    assert first.tuning.best.params == second.tuning.best.params
    assert first.metrics == second.metrics


def test_promote_staging_moves_the_alias_unconditionally(container: Container) -> None:
    train = container.train_model()
    train(TrainingRequest(dataset="synthetic", register_as="demo", promote_to="staging"))
    outcome = train(TrainingRequest(dataset="synthetic", register_as="demo", promote_to="staging", seed=9))
    assert outcome.alias == "staging"
    assert outcome.promotion is None
    assert container.adapters.registry().resolve(ModelRef("demo", alias="staging")).version == "2"


def test_if_better_promotes_when_there_is_no_production_yet(container: Container) -> None:
    outcome = container.train_model()(
        TrainingRequest(dataset="synthetic", register_as="demo", promote_to="production", if_better=True)
    )
    assert outcome.promotion is not None
    assert outcome.promotion.promote
    assert outcome.promotion.reason == "no demo@production yet"
    assert outcome.alias == "production"


def test_if_better_keeps_production_when_the_new_version_does_not_win(container: Container) -> None:
    train = container.train_model()
    train(TrainingRequest(dataset="synthetic", register_as="demo", promote_to="production"))
    # The same data, seed and trainer: an equal score is not a win.
    outcome = train(
        TrainingRequest(dataset="synthetic", register_as="demo", promote_to="production", if_better=True)
    )
    decision = outcome.promotion
    assert decision is not None
    assert not decision.promote
    assert decision.current == pytest.approx(decision.candidate)
    assert decision.current_version == "1"
    assert outcome.alias is None
    assert container.adapters.registry().resolve(ModelRef("demo", alias="production")).version == "1"
    run = tracker(container).runs[-1]
    assert run.tags["predictor.promotion"] == "kept"
    assert run.documents["promotion.json"]["current"] == decision.current
    assert "stays" in decision.describe()


def test_if_better_promotes_a_better_model_scored_on_the_same_rows(container: Container) -> None:
    train = container.train_model()
    # A weak production model: trained on the noise column only.
    train(
        TrainingRequest(
            dataset="synthetic", register_as="demo", promote_to="production", drop=("x1", "colour")
        )
    )
    outcome = train(
        TrainingRequest(dataset="synthetic", register_as="demo", promote_to="production", if_better=True)
    )
    decision = outcome.promotion
    assert decision is not None
    assert decision.promote
    assert decision.current is not None
    assert decision.candidate > decision.current
    assert container.adapters.registry().resolve(ModelRef("demo", alias="production")).version == "2"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"promote_to": "production"}, "--promote needs --register"),
        ({"register_as": "demo", "if_better": True}, "--if-better needs --promote"),
        ({"cv_folds": 0}, "--cv-folds must be at least 1"),
    ],
)
def test_a_contradictory_request_is_refused_when_it_is_made(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TrainingRequest(dataset="synthetic", **fields)  # type: ignore[arg-type]  # the fields vary


def test_promoting_needs_the_promote_use_case(container: Container) -> None:
    adapters = container.adapters
    train = TrainModel(adapters.datasets(), adapters.trainer(), adapters.tracker(), adapters.registry())
    with pytest.raises(ConfigurationError, match="--promote needs the promote use case"):
        train(TrainingRequest(dataset="synthetic", register_as="demo", promote_to="staging"))
    assert tracker(container).runs == []  # refused before any run starts
