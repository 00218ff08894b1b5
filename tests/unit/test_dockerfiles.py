"""The Dockerfiles of docker/: they pass hadolint, pin their base images by exact tag, label
their version and revision, and say at the top how to build them, what they run and what they
read. (There is no Docker engine here: tests/integration/test_images.py builds each one's file
system from its own instructions and starts it.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.images import instructions

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).parent / "hadolint"
DOCKERFILES = sorted((ROOT / "docker").glob("*Dockerfile"))
IMAGES = ("api", "lambda", "mlflow", "train")
# name:MAJOR.MINOR.PATCH[...] (python:3.11.14-slim-bookworm, lambda/python:3.12.2026.06.02.15-x86_64)
EXACT_TAG = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$")
IGNORED = (".venv", ".uv", ".git", "__pycache__", "mlruns", "mlartifacts", "mlflow.db", ".predictor")


def test_there_is_one_dockerfile_per_image() -> None:
    assert [path.name for path in DOCKERFILES] == [f"{name}.Dockerfile" for name in IMAGES]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    linted = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned_by_exact_tag(dockerfile: Path) -> None:
    stages: set[str] = set()
    for instruction, value in instructions(dockerfile):
        if instruction == "FROM":
            image, *alias = value.split()
            assert image in stages or EXACT_TAG.match(image), image
            stages.update(alias[-1:])


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_image_is_labelled_with_its_version_and_revision(dockerfile: Path) -> None:
    found = instructions(dockerfile)
    labels = " ".join(value for instruction, value in found if instruction == "LABEL")
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert 'org.opencontainers.image.revision="${REVISION}"' in labels
    assert {"ARG VERSION=0.1.0", "ARG REVISION=unknown"} <= {f"{i} {v}" for i, v in found}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_header_says_how_to_build_what_runs_and_what_is_read(dockerfile: Path) -> None:
    header = dockerfile.read_text().split("\nFROM ", 1)[0]
    assert f"docker build -f docker/{dockerfile.name} " in header
    assert re.search(r"^# (CMD|ENTRYPOINT): ", header, re.MULTILINE)
    assert "reads" in header
    assert "PREDICTOR_" in header


def test_the_build_context_leaves_out_environments_and_local_stores() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert set(IGNORED) <= {line.strip("/") for line in ignored}
