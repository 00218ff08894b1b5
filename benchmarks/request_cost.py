"""The per-request cost of a 1-row ``POST /predict`` in process, before and after a change.

    .venv/bin/python benchmarks/request_cost.py --before /tmp/edge-before
    .venv/bin/python benchmarks/request_cost.py --before /tmp/edge-before --callgrind

Each side (the tree given with ``--before``, e.g. a ``git worktree`` of the commit before the
change, and this tree) runs in a subprocess of the same interpreter with ``PYTHONPATH`` at that
tree's ``src/`` (and its root, for ``tests.unit.builders``): the in-memory container with the
demo model trained, ``create_app`` over it, the lifespan started, then 1-row ``/predict``
requests called straight into the ASGI app object (no server, no socket, no HTTP client: a
scope, a ``receive`` that hands over the body, a ``send`` that keeps the answer). The in-memory
model is cheap, so what is measured is the edge: middleware, routing, the key check, the codec
and the response. Rounds alternate between the sides; the figure is the median of the rounds'
µs per request.

With ``--callgrind`` (needs ``valgrind`` on the PATH), each side is also run under callgrind
twice, with a few and with many requests; the difference of the two instruction counts over the
difference of the request counts is the instructions per request, start-up cancelled out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from asgi_call import post_predict  # benchmarks/, beside this script

ROOT = Path(__file__).resolve().parent.parent
KEY = "request-cost-key-0123456789abcdef"
BODY = b'{"instances": [{"x1": 0.5, "x2": -0.25, "colour": "red"}]}'
WARM_UP = 200


async def _measure(requests: int) -> float:
    """µs per request, over ``requests`` after a warm-up, on the tree ``PYTHONPATH`` points at."""
    import io

    from dependency_injector import providers
    from tests.unit.builders import memory_container, train_demo

    from predictor.adapters.memory import StaticSecretStore
    from predictor.config import API_KEYS_SECRET
    from predictor.entrypoints.http.app import create_app
    from predictor.entrypoints.logging import configure_logging

    # The access line is rendered and written, into a buffer.
    configure_logging(json=True, level="info", stream=io.StringIO())
    container = memory_container()
    container.adapters.secrets.override(providers.Object(StaticSecretStore({API_KEYS_SECRET: [KEY]})))
    train_demo(container)
    app = create_app(container)
    async with app.router.lifespan_context(app):
        for _ in range(WARM_UP):
            assert await post_predict(app, BODY, KEY) == 200  # a benchmark of failures measures nothing
        started = time.perf_counter()
        for _ in range(requests):
            await post_predict(app, BODY, KEY)
        elapsed = time.perf_counter() - started
    return elapsed / requests * 1e6


def _child(tree: Path, args: list[str], wrapper: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}", "PYTHONHASHSEED": "0"}
    command = [*(wrapper or []), sys.executable, str(Path(__file__).resolve()), "--child", *args]
    return subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=True)


def _microseconds(tree: Path, requests: int) -> float:
    return float(_child(tree, ["--requests", str(requests)]).stdout.strip().splitlines()[-1])


def _instructions(tree: Path, requests: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        _child(tree, ["--requests", str(requests)], wrapper)
        summary = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.MULTILINE)
        assert summary is not None  # callgrind writes one
        return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--before", type=Path, required="--child" not in sys.argv, help="the tree before the change"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--callgrind", action="store_true", help="instructions per request (valgrind)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(f"{asyncio.run(_measure(args.requests))}\n")
        return
    sides = {"before": args.before.resolve(), "after": ROOT}
    rounds: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, tree in sides.items():
            rounds[side].append(_microseconds(tree, args.requests))
    result: dict[str, Any] = {
        side: {"us_per_request_median": statistics.median(values), "rounds": [round(v, 1) for v in values]}
        for side, values in rounds.items()
    }
    if args.callgrind:
        if shutil.which("valgrind") is None:
            raise SystemExit("--callgrind needs valgrind on the PATH")
        few, many = 50, 550
        for side, tree in sides.items():
            per_request = (_instructions(tree, many) - _instructions(tree, few)) / (many - few)
            result[side]["instructions_per_request"] = round(per_request)
    result["after_over_before"] = round(
        result["after"]["us_per_request_median"] / result["before"]["us_per_request_median"], 3
    )
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
