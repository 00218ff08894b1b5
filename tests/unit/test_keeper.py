"""ModelKeeper driven by requests (PREDICTOR_REFRESH=on_request, as on AWS Lambda): requests go
through the serving core on the in-memory adapters, and a hand-driven monotonic clock decides
when the time-to-live has passed, so nothing sleeps."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import orjson
import pytest

from predictor.adapters.memory import InMemoryModelRegistry
from predictor.container import Container
from predictor.domain.errors import ModelUnavailable
from predictor.domain.model import ModelRef, ModelVersion
from predictor.services.serving.codecs.predictor import PredictorCodec
from predictor.services.serving.core import InferenceRequest, InferenceResponse
from predictor.services.serving.keeper import Backoff
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import AUTH, row, serve, with_keys
from tests.unit.test_reload import alerts_of
from tests.unit.variants import register_variant, registry_of

TTL_S = 30.0
BODY = orjson.dumps({"instances": [{"x1": 0.5, "x2": -0.25, "colour": "red"}]})


class HandClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keeping(refresh: str = "on_request", *, trained: bool = True) -> tuple[Container, HandClock]:
    """A container whose keeper reads ``HandClock``, demo@production trained (version 1)."""
    container = memory_container(refresh=refresh, reload_interval_s=TTL_S)
    clock = HandClock()
    container.monotonic.override(clock)
    container.load_backoff.override(Backoff(initial=1.0, maximum=4.0))
    if trained:
        train_demo(container)
    return container, clock


def answer(container: Container) -> InferenceResponse:
    """One POST /predict through the serving core, as every channel sends it."""
    request = InferenceRequest(BODY, "application/json", "request-1")
    core = container.serving_core()

    async def infer() -> InferenceResponse:
        return await core.infer(PredictorCodec(), request)

    return anyio.run(infer)


def test_a_moved_alias_is_served_from_the_first_request_after_the_ttl_and_not_before(
    tmp_path: Path,
) -> None:
    container, clock = keeping()
    assert container.model_keeper().start()  # the Lambda handler's init
    second = register_variant(container, tmp_path)
    registry_of(container).set_alias("demo", "production", second)

    clock.now += TTL_S - 0.001
    assert answer(container).model_version == "1"
    assert answer(container).model_version == "1"
    clock.now += 0.001
    assert answer(container).model_version == second  # this request made the look, and got it
    assert answer(container).model_version == second
    assert registry_of(container).downloads == 2
    assert alerts_of(container) == []


def test_with_the_registry_down_the_served_model_keeps_answering_and_it_is_alerted_once(
    tmp_path: Path,
) -> None:
    container, clock = keeping()
    container.model_keeper().start()
    registry = registry_of(container)
    registry.offline = True
    for _ in range(3):
        clock.now += TTL_S
        response = answer(container)
        assert (response.status, response.model_version) == (200, "1")
    assert alerts_of(container) == ["registry unreachable"]

    registry.offline = False
    registry.set_alias("demo", "production", register_variant(container, tmp_path))
    clock.now += TTL_S
    assert answer(container).model_version == "2"  # back, and following the alias again
    assert alerts_of(container) == ["registry unreachable"]


def test_a_model_not_loaded_at_init_is_loaded_by_a_request_after_the_backoff_delay() -> None:
    container, clock = keeping()
    registry = registry_of(container)
    registry.offline = True
    keeper = container.model_keeper()
    assert not keeper.start()
    registry.offline = False

    clock.now += 0.5  # the first retry is due 1 s after the failed attempt
    with pytest.raises(ModelUnavailable):
        answer(container)
    assert keeper.attempts == 1
    clock.now += 0.5
    assert answer(container).model_version == "1"
    assert keeper.attempts == 2


def test_failed_loads_back_off_doubling_up_to_the_maximum() -> None:
    container, clock = keeping(trained=False)  # nothing registered: every attempt fails
    keeper = container.model_keeper()
    keeper.start()
    delays = []
    for _ in range(4):
        delays.append(keeper.due_in)
        clock.now += keeper.due_in
        assert keeper.look_if_due()
    assert delays == [1.0, 2.0, 4.0, 4.0]
    assert keeper.attempts == 5


def test_in_background_mode_requests_make_no_look(tmp_path: Path) -> None:
    container, clock = keeping("background")
    container.model_keeper().start()
    registry_of(container).set_alias("demo", "production", register_variant(container, tmp_path))
    clock.now += 10 * TTL_S
    assert answer(container).model_version == "1"  # the background task would look, not requests
    assert container.model_keeper().look_if_due()
    assert answer(container).model_version == "2"


class GatedRegistry(InMemoryModelRegistry):
    """The in-memory registry, whose ``resolve`` waits for ``opened`` once ``gated`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gated = False
        self.waiting = threading.Event()
        self.opened = threading.Event()

    def resolve(self, ref: ModelRef) -> ModelVersion:
        if self.gated:
            self.waiting.set()
            self.opened.wait(timeout=10)
        return super().resolve(ref)


def test_while_one_request_makes_the_look_the_others_answer_with_the_served_model(tmp_path: Path) -> None:
    container = memory_container(refresh="on_request", reload_interval_s=TTL_S)
    registry = GatedRegistry()
    container.adapters.registry.override(registry)
    clock = HandClock()
    container.monotonic.override(clock)
    train_demo(container)
    keeper = container.model_keeper()
    keeper.start()
    registry.set_alias("demo", "production", register_variant(container, tmp_path))
    registry.gated = True
    clock.now += TTL_S

    looking = threading.Thread(target=answer, args=(container,))
    looking.start()
    assert registry.waiting.wait(timeout=10)  # that request is inside the look
    assert answer(container).model_version == "1"  # this one neither waits nor looks
    assert not keeper.look_if_due()
    registry.opened.set()
    looking.join(timeout=10)
    assert answer(container).model_version == "2"


def test_the_http_app_in_on_request_mode_runs_no_look_of_its_own(tmp_path: Path) -> None:
    """The same app and lifespan: the lifespan loads, then only requests look."""
    container, clock = keeping()
    second = register_variant(container, tmp_path)
    with serve(with_keys(container)) as client:
        registry_of(container).set_alias("demo", "production", second)
        clock.now += TTL_S - 1
        time.sleep(0.05)  # time for a background look, were there one
        before = client.post("/predict", json={"instances": [row()]}, headers=AUTH)
        clock.now += 1
        after = client.post("/predict", json={"instances": [row()]}, headers=AUTH)
    assert (before.headers["X-Model-Version"], after.headers["X-Model-Version"]) == ("1", second)
