"""Memory per served model: the resident memory each model's load added to the process.

An estimate: the process's RSS before and after the runtime loads the model's files (the
booster parsed, its encoder compiled by the check that follows is not counted), with loads
of all models taken one at a time so that each growth is one model's. Memory the allocator
keeps after a swap, or pages the kernel reclaims, make it drift; docs/models.md says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from predictor.domain.ports import ModelRuntime, ProcessMemory, ServableModel


class ModelFootprints:
    """The last load's RSS growth per served name, measured through ``runtime_for``."""

    def __init__(self, memory: ProcessMemory) -> None:
        self._memory = memory
        self._loading = threading.Lock()  # one measured load at a time, across every model
        self._bytes: dict[str, int] = {}

    def resident_bytes(self, name: str) -> int | None:
        """What loading ``name`` last added to the process (None: not measured)."""
        return self._bytes.get(name)

    def forget(self, name: str) -> None:
        self._bytes.pop(name, None)

    def process_bytes(self) -> int | None:
        return self._memory.resident_bytes()

    def runtime_for(self, name: str, runtime: ModelRuntime) -> ModelRuntime:
        """``runtime``, its loads measured as ``name``'s."""
        return MeasuredRuntime(runtime, lambda load: self._measured(name, load))

    def _measured(self, name: str, load: Callable[[], ServableModel]) -> ServableModel:
        with self._loading:
            before = self._memory.resident_bytes()
            model = load()
            after = self._memory.resident_bytes()
        if before is not None and after is not None:
            self._bytes[name] = max(0, after - before)
        return model


class MeasuredRuntime(ModelRuntime):
    """A runtime whose loads go through ``measure`` (``ModelFootprints``)."""

    def __init__(
        self, runtime: ModelRuntime, measure: Callable[[Callable[[], ServableModel]], ServableModel]
    ) -> None:
        self._runtime = runtime
        self._measure = measure

    def load(self, directory: Path) -> ServableModel:
        return self._measure(lambda: self._runtime.load(directory))

    def load_downloaded(self, download: Callable[[Path], Path]) -> ServableModel:
        return self._measure(lambda: self._runtime.load_downloaded(download))
