"""An image's file system, built without Docker from its Dockerfile's own instructions.

All stages share one scratch prefix, and every absolute path the Dockerfile names (ENV values,
PATH entries, WORKDIR, COPY destinations) is moved under it. ``COPY`` from the build context copies
the repository's files (``__pycache__`` left out, as .dockerignore does); ``COPY --from`` a stage
is the same prefix; ``COPY --from`` the uv image copies the machine's uv. ``RUN`` lines run with
``bash -c``, in the stage's WORKDIR, with its ARGs and ENV. A base image is its documented ENV
(``BASES``) and the machine's Python 3.11 as its interpreter. The result holds the final stage's
ENV, CMD, ENTRYPOINT and HEALTHCHECK, to start the image from the prefix.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".uv" / "bin" / "uv"
# The ENV each base image documents (its Dockerfile on Docker Hub / in aws-lambda-base-images).
# PATH lists the base's own directories, under the prefix; the machine's SYSTEM_PATH stands in for
# /usr/bin and /bin.
BASES = {
    "python:": {"PATH": "/usr/local/bin", "LANG": "C.UTF-8"},
    "public.ecr.aws/lambda/python:": {
        "PATH": "/var/lang/bin:/usr/local/bin",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "LANG": "en_US.UTF-8",
    },
}
SYSTEM_PATH = "/usr/bin:/bin"
INTERPRETER_DIRS = ("/usr/local/bin", "/var/lang/bin")  # where the bases keep python3
# What a build takes from this machine's environment: uv's cache and index.
HOST = ("HOME", "UV_CACHE_DIR", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "SSL_CERT_FILE")
VARIABLE = re.compile(r"\$\{?(\w+)\}?")


@dataclass
class Image:
    """What the final stage left: its ENV (paths moved under ``prefix``), working directory and commands."""

    prefix: Path
    env: dict[str, str] = field(default_factory=dict)
    workdir: Path = Path("/")
    cmd: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)

    def moved(self, path: str) -> str:
        """``path`` under the prefix, if it is absolute and not there already (an expanded ENV value)."""
        if not path.startswith("/") or Path(path).is_relative_to(self.prefix):
            return path
        return str(self.prefix / path.lstrip("/"))


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, value) of every instruction, comments left out, continuation lines joined."""
    parsed = DockerfileParser(path=str(dockerfile))
    structure = parsed.structure
    return [(item["instruction"], item["value"]) for item in structure if item["instruction"] != "COMMENT"]


def run_lines(dockerfile: Path) -> list[str]:
    return [value for instruction, value in instructions(dockerfile) if instruction == "RUN"]


def build(dockerfile: Path, prefix: Path, args: dict[str, str] | None = None) -> Image:
    """Build ``dockerfile``'s file system into ``prefix``; ``args`` are its --build-arg values."""
    image = Image(prefix)
    given = dict(args or {})
    variables: dict[str, str] = {}
    for instruction, value in instructions(dockerfile):
        if instruction == "FROM":
            variables = _from(image, value, given)
        elif instruction == "ARG":
            name, _, default = value.partition("=")
            variables[name] = given.get(name, default)
        elif instruction == "ENV":
            for pair in shlex.split(value):
                name, _, raw = pair.partition("=")
                variables[name] = image.env[name] = _env_value(image, raw, variables)
        elif instruction == "WORKDIR":
            image.workdir = Path(image.moved(_expand(value, variables)))
            image.workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            _copy(image, shlex.split(_expand(value, variables)))
        elif instruction == "RUN":
            _run(image, value, variables)
        elif instruction in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            _command(image, instruction, value)
    return image


def _from(image: Image, value: str, given: dict[str, str]) -> dict[str, str]:
    """A new stage: the base image's ENV, and its interpreter (this machine's) in the prefix."""
    reference = value.split(maxsplit=1)[0]
    base = next((env for start, env in BASES.items() if reference.startswith(start)), {})
    image.env = {name: _env_value(image, raw, {}) for name, raw in base.items()}
    image.env["PATH"] = f"{image.env.get('PATH', '')}:{SYSTEM_PATH}"
    image.cmd, image.entrypoint, image.healthcheck = [], [], []
    Path(image.moved("/tmp")).mkdir(parents=True, exist_ok=True)  # noqa: S108  # the image's /tmp
    for directory in INTERPRETER_DIRS:
        bin_dir = Path(image.moved(directory))
        bin_dir.mkdir(parents=True, exist_ok=True)
        for name in ("python", "python3"):
            if not (bin_dir / name).exists():
                (bin_dir / name).symlink_to(getattr(sys, "_base_executable", sys.executable))
    return {**given, **image.env}


def _env_value(image: Image, raw: str, variables: dict[str, str]) -> str:
    """A value of ENV: absolute paths (each entry of a ``:`` list) moved, then variables expanded."""
    parts = raw.split(":") if raw.startswith("/") or raw.startswith("$") else [raw]
    moved = ":".join(image.moved(part) for part in parts) if len(parts) > 1 else image.moved(raw)
    return _expand(moved, variables)


def _expand(value: str, variables: dict[str, str]) -> str:
    return VARIABLE.sub(lambda match: variables.get(match.group(1), ""), value)


def _copy(image: Image, words: list[str]) -> None:
    origin = next((word.removeprefix("--from=") for word in words if word.startswith("--from=")), None)
    *sources, destination = [word for word in words if not word.startswith("--")]
    target = Path(image.moved(destination)) if destination.startswith("/") else image.workdir / destination
    for source in sources:
        if origin == "uv":  # the uv image: this machine's uv (the version the Makefile pins)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(UV, target)
        elif origin is not None:  # another stage: the same prefix
            assert Path(image.moved(source)) == target, f"COPY --from={origin} {source} {destination}"
        else:
            _copy_from_context(ROOT / source, target, into=destination.endswith("/"))


def _copy_from_context(source: Path, target: Path, into: bool) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    else:
        (target if into else target.parent).mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name if into else target)


def _run(image: Image, line: str, variables: dict[str, str]) -> None:
    image.runs.append(line)
    subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        cwd=image.workdir,
        env={**{name: os.environ[name] for name in HOST if name in os.environ}, **variables, **image.env},
        check=True,
        timeout=900,
    )


def _command(image: Image, instruction: str, value: str) -> None:
    if instruction == "HEALTHCHECK":
        value = value[value.index("CMD ") + len("CMD ") :]
    words = json.loads(value)
    assert isinstance(words, list), f"{instruction} in exec form"
    setattr(image, instruction.lower(), [str(word) for word in words])
