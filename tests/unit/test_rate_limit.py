"""Token buckets: a burst, then one token per 1/rate seconds; bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictor.services.serving.rate_limit import TokenBuckets


def test_a_bucket_gives_its_burst_then_makes_the_caller_wait() -> None:
    buckets = TokenBuckets(burst=3, rate=0.5)

    assert [buckets.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", now=0.0) == pytest.approx(2.0)  # one token per 2 s
    assert buckets.wait("a", now=1.0) == pytest.approx(1.0)
    assert buckets.take("a", now=2.0) == 0.0
    assert buckets.take("b", now=2.0) == 0.0  # every key has its own bucket


def test_waiting_spends_nothing() -> None:
    buckets = TokenBuckets(burst=1, rate=1.0)

    assert [buckets.wait("a", now=0.0) for _ in range(5)] == [0.0] * 5
    assert buckets.take("a", now=0.0) == 0.0
    assert buckets.wait("a", now=0.0) == pytest.approx(1.0)


def test_a_bucket_refills_up_to_its_burst_only() -> None:
    buckets = TokenBuckets(burst=2, rate=10.0)
    buckets.take("a", now=0.0)

    assert [buckets.take("a", now=1000.0) for _ in range(3)][:2] == [0.0, 0.0]
    assert buckets.take("a", now=1000.0) > 0


def test_memory_is_bounded_by_dropping_the_bucket_touched_longest_ago() -> None:
    buckets = TokenBuckets(burst=1, rate=0.001, max_keys=3)
    for i, key in enumerate("abcd"):
        buckets.take(key, now=float(i))

    assert len(buckets) == 3
    assert buckets.wait("a", now=4.0) == 0.0  # forgotten: a fresh bucket
    assert buckets.wait("d", now=4.0) > 0


def test_a_bucket_needs_a_burst_and_a_rate() -> None:
    with pytest.raises(ValueError, match="burst"):
        TokenBuckets(burst=0, rate=1.0)
    with pytest.raises(ValueError, match="rate"):
        TokenBuckets(burst=1, rate=0.0)


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200))
def test_no_more_than_burst_plus_rate_times_elapsed_tokens_are_ever_given(gaps: list[float]) -> None:
    buckets = TokenBuckets(burst=5, rate=2.0)
    now, given_out = 0.0, 0
    for gap in gaps:
        now += gap
        given_out += buckets.take("k", now) == 0.0

    assert given_out <= 5 + 2.0 * now + 1e-9
