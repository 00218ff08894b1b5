"""Evaluation plots as PNG bytes, with matplotlib behind the ``ReportRenderer`` port.

matplotlib is imported on first use (a training extra) and used through ``Figure`` and the
Agg canvas directly: no pyplot, no global figure state, no display needed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from predictor.domain.evaluation import EvaluationReport, PlotKind
from predictor.domain.ports import ReportRenderer

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Vector = npt.NDArray[np.float64]
_TOP_FEATURES = 20
_CALIBRATION_BINS = 10


def curve_points(truth: Vector, score: Vector) -> tuple[Vector, Vector, Vector]:
    """(false positive rate, true positive rate, precision) at every distinct threshold, highest first."""
    order = np.argsort(-score, kind="mergesort")
    hits = truth[order]
    distinct = np.r_[np.flatnonzero(np.diff(score[order])), len(hits) - 1]
    tp = np.cumsum(hits)[distinct]
    fp = (distinct + 1) - tp
    positives = max(float(hits.sum()), 1.0)
    negatives = max(float(len(hits) - hits.sum()), 1.0)
    return np.r_[0.0, fp / negatives], np.r_[0.0, tp / positives], np.r_[1.0, tp / (tp + fp)]


def _one_vs_rest(report: EvaluationReport) -> list[tuple[str, Vector, Vector]]:
    """(label, is-this-class, probability of this class); binary gives the positive class only."""
    probabilities = report.probabilities
    classes = range(1, 2) if len(report.labels) == 2 else range(len(report.labels))
    return [(report.labels[k], (report.truth == k).astype(np.float64), probabilities[:, k]) for k in classes]


def _roc(ax: Axes, report: EvaluationReport) -> None:
    for label, truth, score in _one_vs_rest(report):
        fpr, tpr, _ = curve_points(truth, score)
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate")
    ax.set_title(f"ROC (test AUC {report.metrics.get('roc_auc', float('nan')):.3f})")
    ax.legend(loc="lower right", fontsize="small")


def _precision_recall(ax: Axes, report: EvaluationReport) -> None:
    for label, truth, score in _one_vs_rest(report):
        _, recall, precision = curve_points(truth, score)
        ax.plot(recall, precision, label=label)
    ax.set(xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    ax.set_title("Precision-recall (test rows)")
    ax.legend(loc="lower left", fontsize="small")


def _confusion(ax: Axes, report: EvaluationReport) -> None:
    counts = np.asarray(report.confusion)
    ax.imshow(counts, cmap="Blues")
    ticks = range(len(report.labels))
    ax.set_xticks(ticks, report.labels, rotation=45, ha="right")
    ax.set_yticks(ticks, report.labels)
    for (i, j), count in np.ndenumerate(counts):
        ax.text(j, i, str(count), ha="center", va="center", color="black")
    ax.set(xlabel="predicted", ylabel="true")
    ax.set_title("Confusion matrix (test rows)")


def _calibration(ax: Axes, report: EvaluationReport) -> None:
    probabilities = report.probabilities
    if len(report.labels) == 2:
        confidence, correct, what = probabilities[:, 1], report.truth == 1, "P(positive)"
    else:
        confidence = probabilities.max(axis=1)
        correct, what = probabilities.argmax(axis=1) == report.truth, "top-class probability"
    bins = np.minimum((confidence * _CALIBRATION_BINS).astype(int), _CALIBRATION_BINS - 1)
    used = [b for b in range(_CALIBRATION_BINS) if (bins == b).any()]
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.plot(
        [confidence[bins == b].mean() for b in used], [correct[bins == b].mean() for b in used], marker="o"
    )
    ax.set(xlabel=f"mean predicted {what}", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1))
    ax.set_title("Calibration (test rows)")


def _importance(ax: Axes, report: EvaluationReport) -> None:
    ranked = sorted(report.feature_importance.items(), key=lambda kv: kv[1], reverse=True)[:_TOP_FEATURES]
    names = [name for name, _ in reversed(ranked)]
    ax.barh(names, [value for _, value in reversed(ranked)])
    ax.set(xlabel="total gain")
    ax.set_title(f"Feature importance (top {len(ranked)})")


def _residuals(ax: Axes, report: EvaluationReport) -> None:
    predicted = report.scores
    ax.scatter(predicted, report.truth - predicted, s=10, alpha=0.7)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="predicted", ylabel="actual − predicted")
    ax.set_title(f"Residuals (test RMSE {report.metrics.get('rmse', float('nan')):.3g})")


_DRAW: dict[PlotKind, Callable[[Any, EvaluationReport], None]] = {
    PlotKind.ROC_CURVE: _roc,
    PlotKind.PRECISION_RECALL: _precision_recall,
    PlotKind.CONFUSION_MATRIX: _confusion,
    PlotKind.CALIBRATION: _calibration,
    PlotKind.FEATURE_IMPORTANCE: _importance,
    PlotKind.RESIDUALS: _residuals,
}


class MatplotlibReportRenderer(ReportRenderer):
    """Draws each plot on its own 6 x 4.5 inch figure at 100 dpi."""

    def render(self, plot: PlotKind, report: EvaluationReport) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6, 4.5), dpi=100, layout="tight")
        FigureCanvasAgg(figure)
        _DRAW[plot](figure.add_subplot(), report)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
