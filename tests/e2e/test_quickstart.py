"""The quickstart page (docs/quickstart.md), run as a reader runs it: every ``sh`` block as
written, in order, from a fresh directory that holds the project's Makefile and environment.

Two blocks are not run as one-shot commands, each for its reason:
- ``make run`` serves until it is stopped, so it is started in the background and awaited ready,
  as the page says ("in another terminal");
- ``make test`` is not run: this test runs inside ``make test``, which would then recurse.
  It is checked to be on the page, and make's own dry run (``make -n test``) must know the target.

The one change to the text: the page's port 8000 becomes a free port (``PREDICTOR_PORT`` for
``make run``, the URL for the others), since other servers may hold 8000 on a shared machine.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import clean_env, free_port, wait_ready

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "quickstart.md"
# What `make run` needs of the checkout: the Makefile, the lock it checks, the environments.
CHECKOUT = ("Makefile", "pyproject.toml", "uv.lock", ".venv", ".uv")
SERVES = "make run"
RECURSES = "make test"


def blocks(page: Path) -> list[str]:
    """The page's ``sh`` blocks, in order."""
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", page.read_text(), flags=re.DOTALL)]


@contextmanager
def served(workdir: Path, env: dict[str, str], port: int) -> Iterator[Path]:
    """``make run`` in its own process group until the server answers ready; its log."""
    log_path = workdir / "make-run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["make", "run"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_ready(f"http://127.0.0.1:{port}", process, timeout=300)
            yield log_path
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_every_quickstart_command_runs_as_written(tmp_path: Path) -> None:
    found = blocks(PAGE)
    assert SERVES in found
    assert RECURSES in found
    for name in CHECKOUT:
        (tmp_path / name).symlink_to(ROOT / name)
    port = free_port()
    env = clean_env() | {"PREDICTOR_PORT": str(port)}
    dry = subprocess.run(
        ["make", "-n", "test"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert dry.returncode == 0, dry.stderr

    answers: list[str] = []
    with served(tmp_path, env, port) as log_path:
        assert "API key for this demo" in log_path.read_text()
        for block in found:
            if block in (SERVES, RECURSES):
                continue
            script = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, (block, done.stderr)
            answers.append(done.stdout)

    (prediction,) = [json.loads(answer) for answer in answers if answer.startswith("{")]
    assert prediction["predictions"][0]["label"] == "malignant", prediction
    assert prediction["model"]["name"] == "demo"
    # The page shows the answer rounded; training is seeded, so the demo model gives it again.
    shown = re.search(r'"malignant": (0\.\d+)', PAGE.read_text())
    assert shown is not None
    assert round(prediction["predictions"][0]["probabilities"]["malignant"], 2) == float(shown.group(1))
    assert prediction["model"]["alias"] == "production"
