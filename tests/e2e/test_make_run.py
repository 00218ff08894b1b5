"""The README's first journey: `make run` trains the demo model once, prints a key and a curl
line that works when pasted, and a second run reuses the model."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.servers import clean_env, free_port, running

pytestmark = pytest.mark.e2e


def curl_line(log: str) -> str:
    (line,) = [line.strip() for line in log.splitlines() if line.strip().startswith("curl ")]
    return line


def test_demo_trains_once_prints_a_working_curl_and_reuses_the_model(tmp_path: Path) -> None:
    env = clean_env()  # the defaults, as `make run` has them; no PREDICTOR_API_KEYS: the demo makes one
    port = free_port()
    env["PREDICTOR_PORT"] = str(port)

    with running(["demo"], env, tmp_path, port) as (_, log_path):
        first = log_path.read_text()
        assert "training the demo model on UCI Breast Cancer" in first
        key = re.search(r"API key for this demo: (\S+)", first)
        assert key is not None
        pasted = subprocess.run(
            ["bash", "-c", curl_line(first)], capture_output=True, text=True, timeout=30, check=True
        )
        answer = json.loads(pasted.stdout)
        assert answer["predictions"][0]["label"] in {"malignant", "benign"}
        assert answer["model"] == {**answer["model"], "name": "demo", "version": "1", "alias": "production"}

    assert (tmp_path / ".predictor" / "demo-api-key").read_text().strip() == key.group(1)
    assert (tmp_path / "mlflow.db").is_file()
    assert (tmp_path / "mlartifacts").is_dir()
    port = free_port()
    env["PREDICTOR_PORT"] = str(port)
    with running(["demo"], env, tmp_path, port) as (_, log_path):
        second = log_path.read_text()
        assert "serving it (no retraining)" in second
        assert "training the demo model" not in second
        assert f"API key for this demo: {key.group(1)}" in second
        assert shlex.split(curl_line(second))[0] == "curl"
