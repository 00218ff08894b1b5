"""What the serving core's refresh check costs a request while no look is due.

    .venv/bin/python benchmarks/refresh_check.py

Every request awaits ``ServedModels.maybe_refresh`` before it is answered. In background mode
(``PREDICTOR_REFRESH=background``) that returns at once; in on-request mode (``on_request``, AWS
Lambda) it compares the keeper's monotonic clock with the next look's time. The demo model is
trained on the in-memory adapters and loaded; the time-to-live never passes during the run, so
no look is made. An awaited empty coroutine is the floor.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from predictor.adapters.memory import synthetic_table
from predictor.adapters.memory.container import InMemoryAdapters
from predictor.config import load_settings
from predictor.container import build_container
from predictor.services.training.pipeline import TrainingRequest

CALLS = 200_000
RUNS = 3


async def nothing(name: str | None) -> None:
    return None


def per_call_ns(check: Callable[[str | None], Awaitable[None]]) -> list[int]:
    async def calls() -> float:
        started = time.perf_counter()
        for _ in range(CALLS):
            await check(None)
        return (time.perf_counter() - started) / CALLS * 1e9

    return [round(anyio.run(calls)) for _ in range(RUNS)]


def checked(mode: str) -> Callable[[str | None], Awaitable[None]]:
    container = build_container(load_settings(profile="test", refresh=mode), InMemoryAdapters)
    container.adapters.datasets().tables["synthetic"] = synthetic_table()
    container.train_model()(TrainingRequest(dataset="synthetic", register_as="demo", promote_to="production"))
    assert container.model_keeper().start()
    return container.served_models().maybe_refresh


def main() -> None:
    print(f"ns per request, {RUNS} runs of {CALLS:,} calls")
    print(f"  an awaited empty coroutine  {per_call_ns(nothing)}")
    for mode in ("background", "on_request"):
        print(f"  maybe_refresh, {mode:<11}  {per_call_ns(checked(mode))}")


if __name__ == "__main__":
    main()
