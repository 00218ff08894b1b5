"""The GitHub workflows: every action pinned to a commit, the release gated as issue 16 asks.

check-jsonschema holds them to GitHub's published schema in ``make lint``; this holds what a
schema cannot: a tag can be moved under a workflow, a commit cannot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).parents[2] / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def load(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS[0].parent / name).read_text())
    return loaded


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    used = [step["uses"] for step in steps(yaml.safe_load(path.read_text())) if "uses" in step]
    assert used
    assert [action for action in used if not PINNED.match(action)] == []


def test_the_release_assumes_a_role_by_oidc_and_holds_no_stored_keys() -> None:
    release = load("release.yml")
    assert release["permissions"]["id-token"] == "write"
    text = (WORKFLOWS[0].parent / "release.yml").read_text()
    assert "AWS_ACCESS_KEY_ID" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text


def test_production_waits_for_staging_and_its_environments_approval() -> None:
    jobs = load("release.yml")["jobs"]
    assert jobs["production"]["environment"] == "production"
    assert "staging" in jobs["production"]["needs"]


def test_rollback_is_a_manual_job_running_predictor_deploy_rollback() -> None:
    release = load("release.yml")
    assert "workflow_dispatch" in release[True]  # YAML 1.1 reads the key `on` as True
    rollback = release["jobs"]["rollback"]
    assert "inputs.rollback" in rollback["if"]
    assert any("predictor deploy rollback" in step.get("run", "") for step in rollback["steps"])
