"""The served models, by name: each name's keeper, which holds its reference and its slot."""

from __future__ import annotations

from collections.abc import Sequence

from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.loading import ServedModel


class ServedModels:
    """The models this process serves, by name (one today; nothing here assumes one), each
    loaded and kept fresh by its ``ModelKeeper``."""

    def __init__(self, keepers: Sequence[ModelKeeper]) -> None:
        self._by_name = {keeper.ref.name: keeper for keeper in keepers}
        self._default = keepers[0]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def default(self) -> ServedModel | None:
        """The model a request that names none is served by (the first configured), if loaded."""
        return self._default.slot.peek()

    async def maybe_refresh(self, name: str | None) -> None:
        """Where requests drive refresh (on-request mode), the look at ``name``'s model (None:
        the default one) if its time-to-live has passed; else nothing."""
        keeper = self._default if name is None else self._by_name.get(name)
        # Checked here first: a request while nothing is due creates no coroutine.
        if keeper is not None and keeper.on_request and keeper.due:
            await keeper.maybe_refresh()

    def get(self, name: str, version: str | None = None) -> ServedModel:
        """The model served as ``name`` (at ``version``, when given): ``ModelNotFound`` for a
        name or version not served, ``ModelUnavailable`` while it is not loaded yet."""
        keeper = self._by_name.get(name)
        if keeper is None:
            served_names = ", ".join(repr(n) for n in self._by_name)
            raise ModelNotFound(f"this service serves model {served_names}, not {name!r}")
        served = keeper.slot.peek()
        if served is None:
            raise ModelUnavailable(
                f"model {name!r} is not loaded yet; the service keeps trying to load {keeper.ref}"
            )
        if version is not None and version != served.version.version:
            raise ModelNotFound(f"model {name!r} serves version {served.version.version}, not {version}")
        return served
