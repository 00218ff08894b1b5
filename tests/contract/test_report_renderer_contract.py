"""The ``ReportRenderer`` contract, run against the fake (``RecordingReportRenderer``) and
matplotlib: every plot a task carries (``plots_for``) renders as PNG bytes, for binary,
multiclass and regression reports alike, and a report is left as it was."""

from __future__ import annotations

import numpy as np
import pytest

from predictor.adapters.matplotlib.plots import MatplotlibReportRenderer
from predictor.adapters.memory import RecordingReportRenderer
from predictor.domain.evaluation import EvaluationReport, plots_for
from predictor.domain.ports import ReportRenderer
from predictor.domain.schema import TaskType

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RNG = np.random.default_rng(7)
IMPORTANCE = {"age": 0.6, "income": 0.3, "city": 0.1}


def _binary() -> EvaluationReport:
    truth = np.array([0, 1] * 20, dtype=np.float64)
    scores = np.clip(truth * 0.6 + RNG.uniform(0, 0.4, truth.size), 0, 1)
    return EvaluationReport(
        TaskType.BINARY, ("no", "yes"), truth, scores, {"roc_auc": 0.9}, [[18, 2], [3, 17]], IMPORTANCE
    )


def _multiclass() -> EvaluationReport:
    truth = np.array([0, 1, 2] * 15, dtype=np.float64)
    raw = RNG.uniform(0, 1, (truth.size, 3)) + np.eye(3)[truth.astype(int)]
    scores = raw / raw.sum(axis=1, keepdims=True)
    confusion = [[13, 1, 1], [2, 12, 1], [1, 1, 13]]
    return EvaluationReport(
        TaskType.MULTICLASS, ("a", "b", "c"), truth, scores, {"accuracy": 0.84}, confusion, IMPORTANCE
    )


def _regression() -> EvaluationReport:
    truth = RNG.normal(10, 3, 50)
    scores = truth + RNG.normal(0, 1, 50)
    return EvaluationReport(TaskType.REGRESSION, (), truth, scores, {"rmse": 1.0}, [], IMPORTANCE)


REPORTS = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}


@pytest.fixture(params=["recording", "matplotlib"])
def renderer(request: pytest.FixtureRequest) -> ReportRenderer:
    return RecordingReportRenderer() if request.param == "recording" else MatplotlibReportRenderer()


@pytest.mark.parametrize("task", list(REPORTS))
def test_every_plot_of_the_task_renders_as_png(renderer: ReportRenderer, task: str) -> None:
    report = REPORTS[task]()
    plots = plots_for(report.task)
    assert plots
    for plot in plots:
        png = renderer.render(plot, report)
        assert png.startswith(PNG_SIGNATURE), plot
        assert len(png) > len(PNG_SIGNATURE)


def test_rendering_leaves_the_report_as_it_was(renderer: ReportRenderer) -> None:
    report = _binary()
    truth, scores = report.truth.copy(), report.scores.copy()
    for plot in plots_for(report.task):
        renderer.render(plot, report)
    np.testing.assert_array_equal(report.truth, truth)
    np.testing.assert_array_equal(report.scores, scores)
