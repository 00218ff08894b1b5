"""The served model and the slot that holds it for requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import ModelUnavailable
from predictor.domain.model import ModelVersion
from predictor.domain.ports import ServableModel
from predictor.services.serving.batching import BatchedModel


@dataclass(frozen=True)
class ServedModel:
    """A loaded model with its compiled encoder and where it came from. Requests score through
    ``batched``, the model wrapped so that concurrent requests share one model call."""

    version: ModelVersion
    alias: str | None
    model: ServableModel
    encoder: RowEncoder
    origin: str = "registry"
    batched: BatchedModel = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Wrapped here, where the model is held: a model swapped in (``dataclasses.replace``
        # included) gets a wrapper of its own.
        object.__setattr__(self, "batched", BatchedModel(self.model))

    def __reduce__(self) -> tuple[object, ...]:
        # Without ``batched`` (its threads do not pickle): the copy wraps its model anew.
        return type(self), (self.version, self.alias, self.model, self.encoder, self.origin)


class ModelSlot:
    """The model requests use now. Swapping is one reference assignment, so a request that
    read the old model finishes on it while new requests see the new one."""

    def __init__(self) -> None:
        self._served: ServedModel | None = None
        self._lock = threading.Lock()
        # Held for a whole load or refresh (resolve -> fetch -> check -> swap), so that two
        # never run at once: the start-up retries, the poller and an admin reload.
        self.changing = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._served is not None

    def current(self) -> ServedModel:
        served = self._served
        if served is None:
            raise ModelUnavailable("no model is loaded yet")
        return served

    def peek(self) -> ServedModel | None:
        return self._served

    def swap(self, served: ServedModel) -> ServedModel | None:
        with self._lock:
            previous, self._served = self._served, served
        return previous
