"""Request throughput with capture off and at 100 %, side by side in one run.

    .venv/bin/python benchmarks/capture_bench.py               # 7 rounds of 2,000 requests a side
    .venv/bin/python benchmarks/capture_bench.py --rounds 2 --requests 300   # a quick look

Each side is the in-memory container with the demo model trained, ``create_app`` over it and the
lifespan started, answering ``POST /predict`` called straight into the ASGI app object (no
server, no socket: a scope, a ``receive`` that hands over the body, a ``send`` that keeps the
answer), with 1-row and 100-row bodies. The "capture" side sets ``PREDICTOR_CAPTURE_URI`` to a
scratch directory with the real Parquet store (pyarrow) in place of the in-memory one, so its
writer thread writes files while requests are answered, as in a server: what the request pays
is the copy of its encoded rows onto the queue, and what the writer's thread takes from the
process. Rounds alternate between the sides; the figure is the median of the rounds'
requests per second, and the ratio capture / off.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asgi_call import post_predict  # noqa: E402  # benchmarks/, beside this script

KEY = "capture-bench-key-0123456789abcdef"
ROW = {"x1": 0.5, "x2": -0.25, "colour": "red"}
BODIES = {rows: json.dumps({"instances": [ROW] * rows}).encode() for rows in (1, 100)}
WARM_UP = 100


def _app(capture_dir: Path | None) -> Any:
    from dependency_injector import providers
    from tests.unit.builders import memory_container, train_demo

    from predictor.adapters.files.capture import ParquetCaptureStore
    from predictor.adapters.memory import StaticSecretStore
    from predictor.config import API_KEYS_SECRET
    from predictor.entrypoints.http.app import create_app

    settings: dict[str, object] = {} if capture_dir is None else {"capture_uri": str(capture_dir)}
    container = memory_container(**settings)
    container.adapters.secrets.override(providers.Object(StaticSecretStore({API_KEYS_SECRET: [KEY]})))
    if capture_dir is not None:
        container.adapters.capture_store.override(providers.Object(ParquetCaptureStore(capture_dir)))
    train_demo(container)
    return create_app(container)


async def _per_second(capture_dir: Path | None, body: bytes, requests: int) -> float:
    app = _app(capture_dir)
    async with app.router.lifespan_context(app):
        for _ in range(WARM_UP):
            assert await post_predict(app, body, KEY) == 200  # a benchmark of failures measures nothing
        started = time.perf_counter()
        for _ in range(requests):
            await post_predict(app, body, KEY)
        elapsed = time.perf_counter() - started
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    from predictor.entrypoints.logging import configure_logging

    configure_logging(json=True, level="warning", stream=io.StringIO())
    rounds: dict[tuple[int, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="capture-bench-") as scratch:
        for k in range(args.rounds):
            for rows, body in BODIES.items():
                for side in ("off", "capture 100 %"):
                    where = None if side == "off" else Path(scratch) / f"round-{k}-{rows}"
                    rate = asyncio.run(_per_second(where, body, args.requests))
                    rounds.setdefault((rows, side), []).append(rate)
        files = sum(1 for _ in Path(scratch).rglob("*.parquet"))
    print(f"{'rows/request':>12}  {'capture off req/s':>18}  {'capture 100 % req/s':>20}  {'ratio':>6}")
    for rows in BODIES:
        off = statistics.median(rounds[(rows, "off")])
        on = statistics.median(rounds[(rows, "capture 100 %")])
        print(f"{rows:>12}  {off:>18,.0f}  {on:>20,.0f}  {on / off:>6.3f}")
    print(f"({args.rounds} rounds of {args.requests} requests a side; {files} capture files written)")


if __name__ == "__main__":
    main()
