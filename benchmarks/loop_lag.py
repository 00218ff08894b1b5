"""Where a big body's parse holds the event loop: loop lag, in process, on this tree's parser.

    .venv/bin/python benchmarks/loop_lag.py

A task on an asyncio loop sleeps 1 ms again and again and records how late it wakes (the loop's
lag), while the loop parses a body with the `/predict` route's parser (`parse_instances`) on the
loop itself (as before big bodies were moved off it), on a worker thread (as now), or runs only
`orjson.loads` on a worker thread. A worker thread frees the loop only while it runs Python
bytecode (the interpreter hands the GIL over every `sys.getswitchinterval()`); a C call that
keeps the GIL, as orjson's parser does, holds the loop for all its length wherever it runs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import anyio.to_thread
import orjson

from predictor.services.serving.codecs.predictor import parse_instances

CALLS = 5


@dataclass(frozen=True)
class Lag:
    body: str
    way: str
    call_ms: list[float]
    lag_ms: list[float]


async def _watch(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append((time.perf_counter() - began) * 1000 - 1)


async def _measure(body: str, way: str, call: Callable[[], object], on_thread: bool) -> Lag:
    lags: list[float] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch(lags, stop))
    took = []
    for _ in range(CALLS):
        await asyncio.sleep(0.05)
        began = time.perf_counter()
        if on_thread:
            await anyio.to_thread.run_sync(call)
        else:
            call()
        took.append((time.perf_counter() - began) * 1000)
    stop.set()
    await watcher
    return Lag(body, way, took, sorted(lags))


async def _all(bodies: dict[str, bytes]) -> list[Lag]:
    found = []
    for name, body in bodies.items():
        parse = partial(parse_instances, body)
        found += [
            await _measure(name, "parse_instances on the loop", parse, False),
            await _measure(name, "parse_instances on a worker thread", parse, True),
            await _measure(name, "orjson.loads alone on a worker thread", partial(orjson.loads, body), True),
        ]
    return found


def measure(bodies: dict[str, bytes]) -> list[Lag]:
    return asyncio.run(_all(bodies))


def table(lags: list[Lag]) -> list[str]:
    lines = [
        f"| body | parsed | one call, ms (min–max of {CALLS}) | loop lag p50 ms | loop lag max ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for lag in lags:
        lines.append(
            f"| {lag.body} | {lag.way} | {min(lag.call_ms):,.0f}–{max(lag.call_ms):,.0f} "
            f"| {lag.lag_ms[len(lag.lag_ms) // 2]:.1f} | **{lag.lag_ms[-1]:,.0f}** |"
        )
    return lines


def main() -> None:
    empty = b'{"instances":[' + b",".join([b"{}"] * 1_000_000) + b"]}"
    row = b"{" + b", ".join(b'"feature %d": %d.123456789' % (i, i) for i in range(30)) + b"}"
    valid = b'{"instances": [' + b", ".join([row] * (8_000_000 // len(row))) + b"]}"
    print(f"switch interval {sys.getswitchinterval() * 1000:g} ms")
    print("\n".join(table(measure({"1,000,000 empty rows": empty, "8 MB of valid rows": valid}))))


if __name__ == "__main__":
    main()
