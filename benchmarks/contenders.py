"""The servers the benchmark compares, each started on loopback over the same booster.

- predictor: ``predictor serve --model-dir`` on the exported model (1 and 2 workers)
- predictor (before): the same, from another source tree (``--before DIR``) run by the same
  environment with ``PYTHONPATH=DIR/src``, on the same exported model
- MLflow: ``mlflow models serve --env-manager local`` on the registered version
- MLServer 1.7.1 with its XGBoost runtime, in its own environment (uvloop < 0.22, so its
  default parallel worker pool runs; 1.7.1 crash-loops with uvloop 0.23)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DATAFRAME_SPLIT = "10,000 rows as dataframe_split at /invocations, 2 conn"
V2_JSON = "10,000 rows as one V2 JSON tensor, 2 conn"
V2_BINARY = "10,000 rows as one V2 binary tensor, 2 conn"
MLSERVER_PINS = ("mlserver==1.7.1", "mlserver-xgboost==1.7.1", "uvloop<0.22")
API_KEY = "benchmark-key-0123456789abcdef"

Rows = Sequence[Sequence[float]]


@dataclass
class Contender:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    predict_path: str
    body: Callable[[Rows], bytes]
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    cwd: Path | None = None
    # More ways in for 10,000-row batches: predictor's /invocations and V2 infer, JSON and binary.
    big_batches: tuple[BigBatch, ...] = ()


@dataclass(frozen=True)
class BigBatch:
    """A 10,000-row case of its own: ``label`` in the report, POSTed to ``path`` with ``headers``."""

    label: str
    path: str
    body: Callable[[Rows], bytes]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Running:
    contender: Contender
    process: subprocess.Popen[bytes]
    port: int
    cold_start_s: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> float:
        """Resident memory of the server and all its child processes."""
        return sum(_rss_kib(pid) for pid in _tree(self.process.pid)) / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _tree(root: int) -> list[int]:
    pids, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        # Each thread lists the children it started (a decoder process is started by a thread).
        children = []
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                children += (task / "children").read_text().split()
        pids += [int(c) for c in children]
        frontier += [int(c) for c in children]
    return pids


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start(contender: Contender, port: int, log: Path, timeout: float = 180) -> Running:
    """Launch and wait for the first 200 on the ready route; the wait is the cold start."""
    env = {
        k: v.replace("{port}", str(port))
        .replace("{port+1}", str(port + 1))
        .replace("{port+2}", str(port + 2))
        for k, v in contender.env.items()
    }
    command = [part.replace("{port}", str(port)) for part in contender.command]
    began = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        cwd=contender.cwd,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}{contender.ready_path}"
    while time.perf_counter() - began < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{contender.name} exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # loopback only
                if response.status == 200:
                    return Running(contender, process, port, time.perf_counter() - began)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.005)
    process.kill()
    raise TimeoutError(f"{contender.name} was not ready in {timeout} s; see {log}")


def post(running: Running, body: bytes) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310  # loopback only
        running.url + running.contender.predict_path,
        data=body,
        headers={"Content-Type": "application/json", **running.contender.headers},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310  # loopback only
        return dict(json.loads(response.read()))


def predictor(bin_dir: Path, model_dir: Path, workers: int, source: Path | None = None) -> Contender:
    """``source``: a ``src/`` folder to serve from instead of the installed package (the tree
    before a change). It is started as ``python -m predictor``, the one way in both trees have."""
    manifest = json.loads((model_dir / "manifest.json").read_text())
    columns = [f["name"] for f in manifest["schema"]["features"]]
    model_name = json.loads((model_dir / "version.json").read_text())["name"]

    def body(rows: Rows) -> bytes:
        return json.dumps({"instances": [dict(zip(columns, row, strict=True)) for row in rows]}).encode()

    env = {
        **_base_env(bin_dir),
        "PREDICTOR_API_KEYS": API_KEY,
        "PREDICTOR_PROFILE": "prod",
        "PREDICTOR_RELOAD_INTERVAL_S": "0",
    }
    launcher = [str(bin_dir / "predictor")]
    if source is not None:
        env["PYTHONPATH"] = str(source)
        launcher = [str(bin_dir / "python"), "-m", "predictor"]
    return Contender(
        name=predictor_name(workers, before=source is not None),
        command=[
            *launcher,
            "serve",
            "--model-dir",
            str(model_dir),
            "--port",
            "{port}",
            "--workers",
            str(workers),
        ],
        env=env,
        ready_path="/health/ready",
        predict_path="/predict",
        body=body,
        headers={"X-API-Key": API_KEY},
        big_batches=(
            BigBatch(DATAFRAME_SPLIT, "/invocations", _dataframe_split(columns)),
            BigBatch(V2_JSON, f"/v2/models/{model_name}/infer", _v2_json),
            BigBatch(
                V2_BINARY,
                f"/v2/models/{model_name}/infer",
                lambda rows: _v2_binary(rows)[1],
                # The JSON header's length: the same for every body of one row count.
                {
                    "Content-Type": "application/octet-stream",
                    "Inference-Header-Content-Length": str(_v2_binary([[0.0] * len(columns)] * 10_000)[0]),
                },
            ),
        ),
        note="serving install (no extras); auth, validation, JSON access log, EMF metrics on"
        + ("; source tree before the change, `python -m predictor`" if source is not None else ""),
    )


def predictor_name(workers: int, *, before: bool = False) -> str:
    """``predictor (2 workers)``, ``predictor (before, 1 worker)``: the names the report looks for."""
    return f"predictor ({'before, ' if before else ''}{workers} worker{'s' if workers > 1 else ''})"


def _v2_json(rows: Rows) -> bytes:
    """One ``[rows, features]`` FP32 tensor, as MLServer's body below."""
    flat = [float(v) for row in rows for v in row]
    tensor = {"name": "input-0", "shape": [len(rows), len(rows[0])], "datatype": "FP32", "data": flat}
    return json.dumps({"inputs": [tensor]}).encode()


def _v2_binary(rows: Rows) -> tuple[int, bytes]:
    """The same tensor in the binary tensor extension, the answer asked for in binary too: the
    JSON header's length and the body (header, then the raw little-endian floats)."""
    raw = struct.pack(f"<{len(rows) * len(rows[0])}f", *(v for row in rows for v in row))
    tensor = {
        "name": "input-0",
        "shape": [len(rows), len(rows[0])],
        "datatype": "FP32",
        "parameters": {"binary_data_size": len(raw)},
    }
    header = json.dumps({"inputs": [tensor], "parameters": {"binary_data_output": True}}).encode()
    return len(header), header + raw


def _dataframe_split(columns: list[str]) -> Callable[[Rows], bytes]:
    def body(rows: Rows) -> bytes:
        return json.dumps({"dataframe_split": {"columns": columns, "data": [list(r) for r in rows]}}).encode()

    return body


def mlflow(bin_dir: Path, tracking_uri: str, model_uri: str, columns: list[str], work: Path) -> Contender:
    """``work``: its working directory, where MLflow's scoring server writes ``.metrics/``."""
    body = _dataframe_split(columns)

    env = {**_base_env(bin_dir), "MLFLOW_TRACKING_URI": tracking_uri}
    return Contender(
        name="mlflow models serve",
        command=[
            str(bin_dir / "mlflow"),
            "models",
            "serve",
            "-m",
            model_uri,
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            "{port}",
        ],
        env=env,
        ready_path="/ping",
        predict_path="/invocations",
        body=body,
        note="defaults, --env-manager local",
        cwd=work,
    )


def mlserver(env_dir: Path, model_dir: Path, booster: Path, model_name: str) -> Contender:
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / "model.ubj"
    target.write_bytes(booster.read_bytes())
    (model_dir / "model-settings.json").write_text(
        json.dumps(
            {
                "name": model_name,
                "implementation": "mlserver_xgboost.XGBoostModel",
                "parameters": {"uri": "./model.ubj"},
            }
        )
    )

    def body(rows: Rows) -> bytes:
        flat = [float(v) for row in rows for v in row]
        return json.dumps(
            {
                "inputs": [
                    {"name": "input-0", "shape": [len(rows), len(rows[0])], "datatype": "FP32", "data": flat}
                ]
            }
        ).encode()

    env = {
        **_base_env(env_dir / "bin"),
        "MLSERVER_HTTP_PORT": "{port}",
        "MLSERVER_GRPC_PORT": "{port+1}",
        "MLSERVER_METRICS_PORT": "{port+2}",
        "MLSERVER_LOGGING_LEVEL": "WARNING",
    }
    return Contender(
        name="MLServer 1.7.1",
        command=[str(env_dir / "bin" / "mlserver"), "start", str(model_dir)],
        env=env,
        ready_path=f"/v2/models/{model_name}/ready",
        predict_path=f"/v2/models/{model_name}/infer",
        body=body,
        note="uvloop<0.22 in its own venv, default parallel workers",
    )


def ensure_mlserver(env_dir: Path, uv: str) -> Path:
    if not (env_dir / "bin" / "mlserver").exists():
        subprocess.run([uv, "venv", "-q", str(env_dir), "--python", sys.executable], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(env_dir / "bin" / "python"), *MLSERVER_PINS],
            check=True,
        )
    return env_dir


def _base_env(bin_dir: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREDICTOR_", "MLFLOW_", "MLSERVER_")) and k != "PYTHONPATH"
    }
    # `mlflow models serve --env-manager local` starts uvicorn through the shell: its bin first.
    keep["PATH"] = f"{bin_dir}{os.pathsep}{keep.get('PATH', '')}"
    return keep
