"""Memory of several models behind one server: the process's RSS serving 1, 10 and 50 small
exported models, and what each model's load added (``GET /v1/models/served``).

    .venv/bin/python benchmarks/models_memory_bench.py [--counts 1,10,50]

It measures memory, not time. One model is trained (XGBoost on Breast Cancer, through MLflow
on SQLite in a temporary directory) and exported; the other models are copies of that export,
each loaded as a booster of its own. For each count, `predictor serve` (one worker) starts with
PREDICTOR_MODELS_FILE listing that many models; once ready, the server's VmRSS is read from
/proc/PID/status, and the per-model growth from the served list. Linux only (the proc file system).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from predictor.config import load_settings
from predictor.container import build_container
from predictor.domain.model import ModelRef
from predictor.services.training.pipeline import TrainingRequest

API_KEY = "bench-key-0123456789abcdef"


def export_one(work: Path) -> Path:
    settings = load_settings(
        mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        artifact_root=str(work / "mlartifacts"),
        cache_dir=work / "cache",
    )
    container = build_container(settings)
    request = TrainingRequest(
        dataset="breast-cancer", register_as="demo", promote_to="production", plots=False
    )
    container.train_model()(request)
    container.export_model()(ModelRef("demo", alias="production"), work / "m0")
    return work / "m0"


def vm_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(work: Path, models: list[Path]) -> tuple[int, list[int]]:
    """The server's RSS once ready with ``models``, and each model's measured load growth."""
    listed = work / f"models-{len(models)}.yaml"
    listed.write_text(
        "models:\n" + "".join(f"  - name: m{i}\n    model: {p}\n" for i, p in enumerate(models))
    )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
    env |= {"PREDICTOR_API_KEYS": API_KEY, "PREDICTOR_MODELS_FILE": str(listed), "PREDICTOR_PORT": str(port)}
    env |= {"PREDICTOR_METRICS_SINK": "none", "PREDICTOR_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "predictor", "serve"],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server was not ready in time"
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        time.sleep(1.0)  # let the start-up garbage settle
        listed_models = httpx.get(
            f"{url}/v1/models/served", headers={"X-API-Key": API_KEY}, timeout=30
        ).json()
        grown = [m["resident_bytes"] for m in listed_models["models"] if m["resident_bytes"] is not None]
        return vm_rss(process.pid), grown
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1,10,50")
    counts = [int(c) for c in parser.parse_args().counts.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        first = export_one(work)
        models = [first] + [Path(shutil.copytree(first, work / f"m{i}")) for i in range(1, max(counts))]
        booster = sum(f.stat().st_size for f in first.rglob("*") if f.is_file())
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        print(f"one export on disk: {booster / 1024:.0f} KiB")
        print("| models | server RSS (MiB) | per model, from RSS (KiB) | per model, at load (KiB, median) |")
        print("| ---: | ---: | ---: | ---: |")
        baseline = None
        for count in counts:
            rss, grown = serve(work, models[:count])
            baseline = baseline if baseline is not None else (rss, count)
            extra = (
                (rss - baseline[0]) / (count - baseline[1]) / 1024 if count > baseline[1] else float("nan")
            )
            median = statistics.median(grown) / 1024 if grown else float("nan")
            print(f"| {count} | {rss / 2**20:.1f} | {extra:.0f} | {median:.0f} |")


if __name__ == "__main__":
    main()
