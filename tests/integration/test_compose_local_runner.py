"""tools/compose_local on small compose files of Python one-liners: each depends_on condition
holds back its dependent until met (healthy: the health check passes; completed: exit 0), a
failed one-shot stops the stack with its log, and Ctrl-C or SIGTERM stops every service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tools.compose_local.stack import ServiceFailed, plan, running

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def python(code: str) -> list[str]:
    return ["python", "-c", code]


def compose(tmp_path: Path, services: dict[str, object]) -> Path:
    path = tmp_path / "compose.yml"
    path.write_text(yaml.safe_dump({"services": services}))
    return path


def test_dependents_wait_for_health_and_completion(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    file = compose(
        tmp_path,
        {
            "server": {
                "command": python(
                    "import pathlib, time; time.sleep(1); pathlib.Path('up').touch(); time.sleep(600)"
                ),
                "healthcheck": {
                    "test": ["CMD", *python("import pathlib; assert pathlib.Path('up').exists()")]
                },
            },
            "job": {
                "command": python(f"import pathlib; pathlib.Path('{marks}/job').write_text('done')"),
                "depends_on": {"server": {"condition": "service_healthy"}},
            },
            "reader": {
                "command": python(
                    f"import pathlib, time; print(pathlib.Path('{marks}/job').read_text()); time.sleep(600)"
                ),
                "environment": {"WHO": "${WHO:-nobody}"},
                "depends_on": {"job": {"condition": "service_completed_successfully"}},
            },
        },
    )
    stack = plan(file, tmp_path / "data", set(), {}, {"WHO": "me"})
    assert list(stack.services) == ["server", "job", "reader"]
    assert stack.services["reader"].environment["WHO"] == "me"
    with running(stack):
        assert stack.healthy("server")
        assert stack.exited() == {"job": 0}
    assert (marks / "job").read_text() == "done"
    assert stack.exited().keys() == {"server", "job", "reader"}  # down stopped the long-running ones


def test_a_failed_one_shot_stops_the_stack_with_its_log(tmp_path: Path) -> None:
    file = compose(
        tmp_path,
        {
            "job": {"command": python("import sys; print('no data set'); sys.exit(3)")},
            "api": {
                "command": python("import time; time.sleep(600)"),
                "depends_on": {"job": {"condition": "service_completed_successfully"}},
            },
        },
    )
    stack = plan(file, tmp_path / "data", set(), {}, {})
    with pytest.raises(ServiceFailed, match=r"job exited with 3:\nno data set"), running(stack):
        pass
    assert "api" not in stack.exited()  # never started


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_up_runs_until_stopped_then_stops_everything(tmp_path: Path, signum: int) -> None:
    pids = tmp_path / "pids"
    file = compose(
        tmp_path,
        {
            "server": {
                "command": python(
                    "import os, pathlib, time; "
                    f"pathlib.Path('{pids}').write_text(str(os.getpid())); time.sleep(600)"
                ),
                "healthcheck": {
                    "test": ["CMD", *python(f"import pathlib; assert pathlib.Path('{pids}').exists()")]
                },
            },
            "after": {"command": python("pass"), "depends_on": {"server": {"condition": "service_healthy"}}},
        },
    )
    command = [sys.executable, "-m", "tools.compose_local", "up", "-f", str(file)]
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) as up:
        assert up.stderr is not None
        for line in up.stderr:
            if "all services up" in line:
                break
        up.send_signal(signum)
        assert up.wait(timeout=60) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(int(pids.read_text()), 0)
