"""A drift report: what was compared, each column's statistics, and what crossed a threshold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from predictor.domain.drift import ColumnDrift, Thresholds


@dataclass(frozen=True)
class DriftReport:
    """The captured rows of ``model`` version ``version`` since ``since`` (all of them when
    ``None``) against its reference profile, as of ``made``."""

    model: str
    version: str
    captured: str
    since: datetime | None
    made: datetime
    rows: int
    reference_rows: int
    thresholds: Thresholds
    features: tuple[ColumnDrift, ...]
    prediction: ColumnDrift
    versions: tuple[str, ...]  # the model versions that made the captured predictions
    left_out: Mapping[str, int] = field(default_factory=dict)  # rows of other versions, by name/version
    run_id: str = ""

    @property
    def flagged(self) -> tuple[str, ...]:
        """The features with a statistic over its threshold, in schema order."""
        return tuple(f.name for f in self.features if f.flags)

    @property
    def drifted(self) -> bool:
        return bool(self.flagged or self.prediction.flags)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "captured": self.captured,
            "window": {"since": _time(self.since), "until": _time(self.made)},
            "rows_compared": self.rows,
            "reference_rows": self.reference_rows,
            "captured_versions": list(self.versions),
            "rows_of_other_versions_left_out": dict(self.left_out),
            "thresholds": asdict(self.thresholds),
            "drifted": self.drifted,
            "flagged_features": list(self.flagged),
            "prediction_flagged": bool(self.prediction.flags),
            "features": {f.name: column_dict(f) for f in self.features},
            "prediction": column_dict(self.prediction),
            "run_id": self.run_id,
        }


def column_dict(drift: ColumnDrift) -> dict[str, Any]:
    return {
        "kind": drift.kind,
        "rows": drift.rows,
        "psi": drift.psi,
        "ks": drift.ks,
        "share_change": drift.share_change,
        "unseen_share": drift.unseen,
        "missing_rate": {"reference": drift.missing[0], "captured": drift.missing[1]},
        "shares": [{"bin": b, "reference": r, "captured": c} for b, r, c in drift.shares],
        "flags": list(drift.flags),
    }


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
