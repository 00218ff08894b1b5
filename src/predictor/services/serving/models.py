"""The served models, by name: each name's keeper, which holds its reference and its slot.

The set is the configured one (``PREDICTOR_MODELS``, or the one model of
``PREDICTOR_MODEL_NAME`` / ``PREDICTOR_MODEL_DIR``), changed at run time by ``add`` and
``remove`` (the admin routes); a restart brings the configured set back. Each model loads,
refreshes and falls back on its own keeper: one that does not load leaves the others serving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from predictor.domain.errors import ModelConflict, ModelNotFound, ModelUnavailable
from predictor.domain.served import ServedModelSpec
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.loading import ServedModel

# Builds the keeper of a model added at run time (its own slot, load and refresh).
KeeperBuilder = Callable[[ServedModelSpec], ModelKeeper]


class ServedModels:
    """The models this process serves, by name, each loaded and kept fresh by its
    ``ModelKeeper``; the first keeper's model is the default one (the routes that name none)."""

    def __init__(
        self,
        keepers: Sequence[ModelKeeper],
        build: KeeperBuilder | None = None,
        specs: Sequence[ServedModelSpec] = (),
    ) -> None:
        self._by_name = {keeper.name: keeper for keeper in keepers}
        self._default = keepers[0]
        self._build = build
        self._specs = {spec.name: spec for spec in specs}
        # Readiness waits for these: the models configured, not those an admin adds later.
        self._configured = tuple(self._by_name)
        self._changing = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    @property
    def default_name(self) -> str:
        return self._default.name

    @property
    def several(self) -> bool:
        """Whether the models were listed (``PREDICTOR_MODELS``), not the one model of old."""
        return bool(self._specs)

    def keepers(self) -> tuple[ModelKeeper, ...]:
        return tuple(self._by_name.values())

    def keeper(self, name: str) -> ModelKeeper:
        keeper = self._by_name.get(name)
        if keeper is None:
            served_names = ", ".join(repr(n) for n in self._by_name)
            raise ModelNotFound(f"this service serves model {served_names}, not {name!r}")
        return keeper

    def spec(self, name: str) -> ServedModelSpec | None:
        """How ``name`` was configured or added (None for the one model of old)."""
        return self._specs.get(name)

    def configured(self, name: str) -> bool:
        return name in self._configured

    def waiting(self) -> tuple[ModelKeeper, ...]:
        """The configured models still served and not loaded yet: readiness waits for these."""
        return tuple(k for n, k in self._by_name.items() if n in self._configured and not k.slot.ready)

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
        keeper = self.keeper(name)
        served = keeper.slot.peek()
        if served is None:
            raise ModelUnavailable(
                f"model {name!r} is not loaded yet; the service keeps trying to load {keeper.ref}"
            )
        if version is not None and version != served.version.version:
            raise ModelNotFound(f"model {name!r} serves version {served.version.version}, not {version}")
        return served

    def add(self, spec: ServedModelSpec) -> ModelKeeper:
        """Serve ``spec`` too: its keeper, built and not loaded yet (the caller makes its first
        look). ``ModelConflict`` when the name is served already; what building raises (an
        exported directory that is not an export: ``InvalidModel``)."""
        if self._build is None:
            raise ModelConflict("this service cannot add models")
        with self._changing:
            if spec.name in self._by_name:
                raise ModelConflict(f"model {spec.name!r} is served already; remove it first to change it")
            keeper = self._build(spec)
            self._by_name = {**self._by_name, spec.name: keeper}  # a new dict: readers never see it change
            self._specs = {**self._specs, spec.name: spec}
        return keeper

    def remove(self, name: str) -> ModelKeeper:
        """Stop serving ``name``; its keeper, for the caller to stop. ``ModelConflict`` for the
        default model (the routes that name no model serve it), ``ModelNotFound`` for a name not served."""
        with self._changing:
            keeper = self.keeper(name)
            if keeper is self._default:
                raise ModelConflict(
                    f"model {name!r} is the default model, which the routes that name no model serve; "
                    "it cannot be removed (configure another default and restart)"
                )
            self._by_name = {n: k for n, k in self._by_name.items() if n != name}
            self._specs = {n: s for n, s in self._specs.items() if n != name}
        return keeper
