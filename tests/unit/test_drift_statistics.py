"""The drift statistics against values worked out by hand and against scipy: PSI, the gridded
KS statistic, category shares, missing rates, and a tally that is the same batch by batch."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from predictor.domain.drift import Tally, Thresholds, bin_labels, compare, psi
from predictor.domain.manifest import ModelManifest
from predictor.domain.reference import (
    CategoricalReference,
    LabelReference,
    NumericReference,
    ReferenceProfile,
    categorical_reference,
    label_reference,
    numeric_reference,
)
from predictor.domain.schema import Feature, FeatureSchema, Target, TaskType


def tallied(reference: NumericReference | CategoricalReference | LabelReference, *batches: object) -> Tally:
    tally = Tally(reference)
    for batch in batches:
        tally.add(np.asarray(batch))
    return tally


def test_psi_matches_the_hand_computed_value() -> None:
    # (0.7 - 0.5) ln(0.7 / 0.5) + (0.3 - 0.5) ln(0.3 / 0.5)
    expected = 0.2 * math.log(1.4) - 0.2 * math.log(0.6)
    assert psi([0.5, 0.5], [0.7, 0.3]) == pytest.approx(expected)
    assert psi([0.25] * 4, [0.25] * 4) == 0.0


def test_an_empty_bin_gives_a_large_finite_psi() -> None:
    value = psi([0.5, 0.5], [1.0, 0.0])
    assert math.isfinite(value)
    assert value > 2.0


def test_deciles_of_one_to_a_hundred() -> None:
    reference = numeric_reference(np.arange(1, 101, dtype=np.float64))
    assert reference.edges == (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)
    # bin 0 holds 1..9, bins 1..8 ten values each, the last 90..100.
    assert reference.shares == pytest.approx((0.09, *([0.1] * 8), 0.11))
    assert reference.missing == 0.0
    assert len(reference.points) == 100  # percentiles 0 and 1 are both the value 1
    assert reference.at[-1] == 1.0
    assert reference.below[0] == 0.0


def test_the_missing_rate_is_apart_from_the_shares() -> None:
    reference = numeric_reference([1.0, np.nan, 3.0, np.nan])
    assert reference.missing == 0.5
    assert sum(reference.shares) == pytest.approx(1.0)


def test_a_column_never_present_has_no_bins() -> None:
    reference = numeric_reference([np.nan, np.nan])
    drift = compare("x", tallied(reference, [1.0, np.nan]), Thresholds())
    assert drift.psi is None
    assert drift.missing == (1.0, 0.5)
    assert drift.flags == ("missing",)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=-2.0, max_value=2.0),
    st.floats(min_value=0.2, max_value=3.0),
    st.booleans(),
)
def test_the_gridded_ks_is_within_a_percentile_below_scipys(
    seed: int, shift: float, scale: float, ties: bool
) -> None:
    rng = np.random.default_rng(seed)
    training = rng.normal(size=3000)
    live = rng.normal(shift, scale, size=1500)
    if ties:
        training, live = np.round(training), np.round(live)
    drift = compare("x", tallied(numeric_reference(training), live[:700], live[700:]), Thresholds())
    exact = stats.ks_2samp(training, live).statistic
    assert drift.ks is not None
    assert drift.ks <= exact + 1e-12
    assert exact <= drift.ks + 0.01 + 1e-12


def test_psi_of_a_shifted_column_matches_its_bins() -> None:
    training = np.arange(1, 101, dtype=np.float64)
    reference = numeric_reference(training)
    live = training + 50  # half of it beyond the last edge
    drift = compare("x", tallied(reference, live), Thresholds())
    live_shares = np.bincount(np.searchsorted(reference.edges, live, side="right"), minlength=10) / 100
    assert drift.psi == pytest.approx(psi(reference.shares, live_shares))
    assert [s[2] for s in drift.shares] == pytest.approx(list(live_shares))
    assert set(drift.flags) == {"psi", "ks"}


def test_the_same_values_do_not_drift() -> None:
    values = np.random.default_rng(1).normal(size=2000)
    drift = compare("x", tallied(numeric_reference(values), values), Thresholds())
    assert drift.psi == pytest.approx(0.0, abs=1e-12)
    assert drift.ks == pytest.approx(0.0, abs=1e-12)
    assert drift.flags == ()


def test_category_shares_unseen_codes_and_missing() -> None:
    reference = categorical_reference([0, 0, 1, 1, 1, 1, np.nan, np.nan])
    assert reference.shares == {0: pytest.approx(1 / 3), 1: pytest.approx(2 / 3)}
    assert reference.missing == 0.25
    drift = compare("colour", tallied(reference, [0, 1, 1, 7], [np.nan]), Thresholds(), ("red", "green"))
    assert [s[0] for s in drift.shares] == ["red", "green", "code 7 (unseen)"]
    assert drift.unseen == 0.25
    assert drift.share_change == pytest.approx(0.25)  # the unseen code: from 0 to 1/4
    assert drift.missing == (0.25, 0.2)
    assert set(drift.flags) == {"shares", "psi"}


def test_predicted_labels_shares() -> None:
    reference = label_reference(np.array(["yes", "yes", "no", "yes"], dtype=object), ("no", "yes", "maybe"))
    assert reference.shares == {"no": 0.25, "yes": 0.75, "maybe": 0.0}
    drift = compare("prediction", tallied(reference, np.array(["no", "no"], dtype=object)), Thresholds())
    assert drift.share_change == pytest.approx(0.75)
    assert drift.missing == (0.0, 0.0)
    assert "shares" in drift.flags


def test_bin_labels_name_the_open_ends() -> None:
    assert bin_labels([1.0, 2.5]) == ["< 1", "[1, 2.5)", ">= 2.5"]


def test_the_reference_travels_in_the_manifest_and_old_manifests_still_load() -> None:
    schema = FeatureSchema((Feature("x"),), Target("y", TaskType.REGRESSION))
    profile = ReferenceProfile(
        3, {"x": numeric_reference([1.0, 2.0, np.nan])}, numeric_reference([0.5, 1.5]), 2
    )
    manifest = ModelManifest(schema=schema, booster_file="model.ubj", reference=profile)
    assert ModelManifest.from_json(manifest.to_json()).reference == profile
    old = json.loads(manifest.to_json())
    del old["reference"]
    assert ModelManifest.from_json(json.dumps(old)).reference is None
