"""The served models, by name: each name's reference (what it follows) and its slot."""

from __future__ import annotations

from collections.abc import Mapping

from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.domain.model import ModelRef
from predictor.services.serving.loading import ModelSlot, ServedModel


class ServedModels:
    """The models this process serves, by name (one today; nothing here assumes one)."""

    def __init__(self, slots: Mapping[ModelRef, ModelSlot]) -> None:
        self._by_name = {ref.name: (ref, slot) for ref, slot in slots.items()}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def default(self) -> ServedModel | None:
        """The model a request that names none is served by (the first configured), if loaded."""
        _, slot = next(iter(self._by_name.values()))
        return slot.peek()

    def get(self, name: str, version: str | None = None) -> ServedModel:
        """The model served as ``name`` (at ``version``, when given): ``ModelNotFound`` for a
        name or version not served, ``ModelUnavailable`` while it is not loaded yet."""
        found = self._by_name.get(name)
        if found is None:
            served_names = ", ".join(repr(n) for n in self._by_name)
            raise ModelNotFound(f"this service serves model {served_names}, not {name!r}")
        ref, slot = found
        served = slot.peek()
        if served is None:
            raise ModelUnavailable(
                f"model {name!r} is not loaded yet; the service keeps trying to load {ref}"
            )
        if version is not None and version != served.version.version:
            raise ModelNotFound(f"model {name!r} serves version {served.version.version}, not {version}")
        return served
