"""A shadow can never hurt the champion: one that raises, hangs or is slow changes no answer
(byte for byte, against the same service without a shadow) and holds up no request."""

from __future__ import annotations

import pytest

from predictor.adapters.memory import Fault, InMemoryFaultyRuntime
from tests.unit.shadow.serving import (
    eventually,
    predict_bodies,
    report,
    scored,
    serving,
    shadow_loaded,
    shadowed,
    with_shadow_runtime,
)

REQUESTS = 30


def answers_without_a_shadow() -> list[bytes]:
    with serving(shadowed(None)) as client:
        return predict_bodies(client, REQUESTS)


@pytest.mark.parametrize("fault", [Fault.RAISE, Fault.SLOW, Fault.MISSHAPED])
def test_a_failing_or_slow_shadow_changes_no_answer(fault: Fault) -> None:
    expected = answers_without_a_shadow()
    container = shadowed()
    with_shadow_runtime(container, InMemoryFaultyRuntime(container.adapters.runtime(), fault, delay_s=0.01))
    with serving(container) as client:
        assert eventually(lambda: shadow_loaded(client))
        answers = predict_bodies(client, REQUESTS)
        assert eventually(lambda: scored(client, REQUESTS))
        body = report(client)

    assert answers == expected
    dealt = sum(p["requests"] + p["errors"] for p in body["pairs"]) + body["dropped"]
    assert dealt == REQUESTS
    (pair,) = body["pairs"]
    if fault in (Fault.RAISE, Fault.MISSHAPED):
        assert (pair["errors"], pair["requests"]) == (REQUESTS - body["dropped"], 0)
    else:
        assert (pair["errors"], pair["requests"]) == (0, REQUESTS - body["dropped"])


def test_a_hung_shadow_holds_up_no_request_and_its_full_queue_drops() -> None:
    expected = answers_without_a_shadow()
    container = shadowed(shadow_queue_size=2)
    faulty = InMemoryFaultyRuntime(container.adapters.runtime(), Fault.HANG)
    with_shadow_runtime(container, faulty)
    try:
        with serving(container) as client:
            assert eventually(lambda: shadow_loaded(client))
            answers = predict_bodies(client, 1)
            assert eventually(faulty.faulted.is_set)  # the worker hangs on the first request
            answers += predict_bodies(client, REQUESTS, first=1)  # every one answered meanwhile
            body = report(client)
            faulty.release.set()
            assert eventually(lambda: scored(client, REQUESTS))
            after = report(client)
    finally:
        faulty.release.set()

    assert answers == expected
    # One request is on the hung worker, two wait in the queue; the rest were dropped.
    assert body["waiting"] == 2
    assert body["dropped"] == REQUESTS - 3
    assert body["pairs"] == []
    (pair,) = after["pairs"]
    assert (pair["requests"], after["dropped"]) == (3, REQUESTS - 3)


def test_requests_sampled_before_the_shadow_loads_are_dropped() -> None:
    container = shadowed()
    # The shadow never gets past its load's smoke check: it is never loaded.
    with_shadow_runtime(
        container, InMemoryFaultyRuntime(container.adapters.runtime(), Fault.RAISE, healthy_calls=0)
    )
    with serving(container) as client:
        answers = predict_bodies(client, 5)
        assert eventually(lambda: scored(client, 5))
        body = report(client)

    assert len(answers) == 5
    assert (body["shadow_version"], body["dropped"], body["pairs"]) == (None, 5, [])


def test_a_shadow_stopped_with_a_full_queue_stops_once_it_is_released() -> None:
    container = shadowed(shadow_queue_size=1)
    faulty = InMemoryFaultyRuntime(container.adapters.runtime(), Fault.HANG)
    with_shadow_runtime(container, faulty)
    shadow = container.shadows()["demo"]
    try:
        with serving(container) as client:
            assert eventually(lambda: shadow_loaded(client))
            predict_bodies(client, 1)
            assert eventually(faulty.faulted.is_set)  # the worker hangs on the first request
            predict_bodies(client, 3, first=1)
            assert report(client)["waiting"] == 1  # full: the stop at shutdown finds no room
        faulty.release.set()
        assert eventually(lambda: not shadow.running)
    finally:
        faulty.release.set()
