"""A runtime whose models fail on purpose, for tests of what must survive a failing model (a
shadow challenger that raises, hangs or is slow)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, ModelRuntime, Scores, ServableModel


class Fault(StrEnum):
    RAISE = "raise"  # predict raises RuntimeError
    HANG = "hang"  # predict waits for ``release`` (never returns until a test sets it)
    SLOW = "slow"  # predict sleeps ``delay_s`` first
    MISSHAPED = "misshaped"  # predict answers its scores as a column (rows x 1)


class InMemoryFaultyModel(ServableModel):
    """``model``, whose predictions after the first ``healthy_calls`` (the load's smoke check)
    fail as ``fault`` says (``faulted`` is set on the first); a hung one answers once ``release``
    is set."""

    def __init__(
        self,
        model: ServableModel,
        fault: Fault,
        events: tuple[threading.Event, threading.Event],
        healthy_calls: int,
        delay_s: float,
    ) -> None:
        self._model = model
        self._fault = fault
        self._faulted, self._release = events
        self._healthy = healthy_calls
        self._delay = delay_s
        self.calls = 0

    @property
    def manifest(self) -> ModelManifest:
        return self._model.manifest

    def predict(self, matrix: Matrix) -> Scores:
        self.calls += 1
        if self.calls > self._healthy:
            self._faulted.set()
            if self._fault is Fault.RAISE:
                raise RuntimeError("this model fails on purpose")
            if self._fault is Fault.HANG:
                self._release.wait()
            elif self._fault is Fault.MISSHAPED:
                return self._model.predict(matrix).reshape(-1, 1)
            else:
                time.sleep(self._delay)
        return self._model.predict(matrix)

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        return self._model.contributions(matrix)


class InMemoryFaultyRuntime(ModelRuntime):
    """Loads through ``runtime``; every model it gives is an ``InMemoryFaultyModel``, whose
    first fault sets ``faulted`` and whose hangs end when ``release`` is set."""

    def __init__(
        self,
        runtime: ModelRuntime,
        fault: Fault,
        release: threading.Event | None = None,
        healthy_calls: int = 1,
        delay_s: float = 0.05,
    ) -> None:
        self._runtime = runtime
        self._fault = fault
        self.release = release or threading.Event()
        self.faulted = threading.Event()
        self._healthy = healthy_calls
        self._delay = delay_s

    def load(self, directory: Path) -> InMemoryFaultyModel:
        return self._faulty(self._runtime.load(directory))

    def load_downloaded(self, download: Callable[[Path], Path]) -> InMemoryFaultyModel:
        return self._faulty(self._runtime.load_downloaded(download))

    def _faulty(self, model: ServableModel) -> InMemoryFaultyModel:
        events = (self.faulted, self.release)
        return InMemoryFaultyModel(model, self._fault, events, self._healthy, self._delay)
