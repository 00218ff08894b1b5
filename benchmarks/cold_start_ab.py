"""Cold start of two source trees side by side: `python -m predictor serve --model-dir DIR`, launch to
the first 200 from /health/ready, the trees alternating (ABBA…) so drift on a shared host hits both.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/cold_start_ab.py --before /tmp/before/src --model-dir .bench/exported

`.bench/exported` is the model `benchmarks/serve_bench.py` exports (200 trees, depth 6).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

KEY = "cold-start-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_to_ready(src: Path, model_dir: Path, timeout: float = 60) -> float:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREDICTOR_")}
    env.update(PYTHONPATH=str(src), PREDICTOR_API_KEYS=KEY, PREDICTOR_PROFILE="prod")
    env["PREDICTOR_PORT"] = str(port)
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "predictor", "serve", "--model-dir", str(model_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.005)
        raise TimeoutError(f"{src} was not ready within {timeout} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="the src/ folder of the tree to compare")
    parser.add_argument("--after", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--launches", type=int, default=12, help="per tree")
    args = parser.parse_args()
    trees = {"before": args.before, "after": args.after}
    seconds: dict[str, list[float]] = {name: [] for name in trees}
    for i in range(args.launches):
        order = list(trees) if i % 2 == 0 else list(reversed(trees))
        for name in order:
            seconds[name].append(launch_to_ready(trees[name], args.model_dir))
    for name, times in seconds.items():
        shown = ", ".join(f"{t:.3f}" for t in times)
        print(f"{name}: median {statistics.median(times):.3f} s over {len(times)} launches ({shown})")


if __name__ == "__main__":
    main()
