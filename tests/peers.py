"""Other projects' packages, fetched from PyPI at test time into the repository's ignored cache
(``.predictor/peers/``, kept between runs): the Open Inference Protocol's REST specification as
MLServer's wheel ships it, and KServe's client in an environment of its own (kserve pins
pandas 2 and protobuf 6, which our lock does not have)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.contenders import MLSERVER_PINS

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".predictor" / "peers"
# The MLServer the benchmark runs; its wheel carries the dataplane (Open Inference Protocol) spec.
MLSERVER = next(pin for pin in MLSERVER_PINS if pin.startswith("mlserver=="))
SPEC_IN_PACKAGE = Path("mlserver") / "rest" / "openapi" / "dataplane.json"
# `import kserve` imports its model server, gRPC stubs and Kubernetes client too: with
# `--no-deps` it still needs 18 of its 29 dependencies, pandas 2 and protobuf 6 among them, so
# kserve is installed with its own pins.
KSERVE_PINS = ("kserve==0.21.0",)
_TEMPLATE = re.compile(r"\$\{(\w+)\}")


def uv() -> str:
    found = ROOT / ".uv" / "bin" / "uv"
    return str(found) if found.exists() else (shutil.which("uv") or "uv")


def _install(args: list[str], done: Path) -> None:
    """Run ``uv pip install ARGS`` unless ``done`` exists; write ``done`` only after success."""
    if done.exists():
        return
    subprocess.run([uv(), "pip", "install", "-q", *args], check=True, timeout=600)
    done.write_text(" ".join(args))


def mlserver_package() -> Path:
    """MLServer's files alone (``--no-deps``, nothing imported), unpacked from its wheel."""
    target = PEERS / MLSERVER.replace("==", "-")
    target.mkdir(parents=True, exist_ok=True)
    _install(["--no-deps", "--python", sys.executable, "--target", str(target), MLSERVER], target / ".done")
    return target


def with_braces(path: str) -> str:
    """``/v2/models/${MODEL_NAME}/infer`` (the protocol's text) -> ``/v2/models/{MODEL_NAME}/infer``."""
    return _TEMPLATE.sub(r"{\1}", path)


def oip_specification() -> dict[str, Any]:
    """The dataplane OpenAPI document as MLServer publishes it, its path templates in braces."""
    raw: dict[str, Any] = json.loads((mlserver_package() / SPEC_IN_PACKAGE).read_text())
    raw["paths"] = {with_braces(path): item for path, item in raw["paths"].items()}
    return raw


def kserve_python() -> Path:
    """The Python of a virtual environment holding KServe's client and its pinned dependencies."""
    env_dir = PEERS / ("venv-" + "-".join(pin.replace("==", "-") for pin in KSERVE_PINS))
    python = env_dir / "bin" / "python"
    if not python.exists():
        subprocess.run(
            [uv(), "venv", "-q", str(env_dir), "--python", sys.executable], check=True, timeout=120
        )
    _install(["--python", str(python), *KSERVE_PINS], env_dir / ".done")
    return python
