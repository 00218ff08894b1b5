"""Build the AWS Lambda function's zip: the locked serving install with the ``aws`` extra, for
Linux x86_64 and the runtime's Python, with an exported model baked in at ``model/``.

    .venv/bin/python -m tools.lambda_zip --model build/model            # build/predictor-lambda.zip
    make lambda-zip MODEL_DIR=build/model LAMBDA_PYTHON=3.12

The packages are tools/requirements.py's ``lambda`` install (docker/lambda.Dockerfile installs
the same): what ``uv.lock`` pins for ``--no-dev --extra aws``, with the ``xgboost-cpu`` wheel of the
same version instead of ``xgboost``, whose CUDA build's NCCL neither fits in Lambda's 250 MB
(unzipped) nor is of use there. Left out as well, since nothing on the Lambda path imports them
(tests/integration/test_lambda_imports.py and the built zip answering in
tests/e2e/test_aws_walkthrough.py show it): scipy, which the ``xgboost`` Python package wants while
predictor loads libxgboost directly; uvloop and httptools, ``predictor serve``'s event loop and HTTP
parser, since Lambda runs no server.
The handler is ``predictor.entrypoints.lambda_handler.handler``; ``PREDICTOR_MODEL_DIR=model``
points it at the baked model (docs/aws.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tools.requirements import ROOT, pins, uv

PLATFORM = "x86_64-manylinux_2_28"
LIMIT_MB = 250  # Lambda's limit on a function's unzipped code and layers


class PackageError(Exception):
    """The zip cannot be built as asked; the message says why."""


def install(target: Path, python_version: str, scratch: Path) -> None:
    requirements = scratch / "requirements.txt"
    requirements.write_text("\n".join(pins("lambda")) + "\n")
    subprocess.run([uv(), "build", "--wheel", "-q", "-o", str(scratch)], cwd=ROOT, check=True)
    wheel = next(scratch.glob("predictor-*.whl"))
    command = [uv(), "pip", "install", "-q", "--target", str(target), "--no-deps"]
    command += ["--python-platform", PLATFORM, "--python-version", python_version]
    subprocess.run([*command, "-r", str(requirements), str(wheel)], cwd=ROOT, check=True)


def compile_bytecode(target: Path, python_version: str, python: str | None) -> bool:
    """Lambda's code directory is read-only, so bytecode not in the zip is compiled on every cold
    start. It needs that Python (``python``, else the one uv finds); without it the zip still
    works, only starts slower."""
    if python is None:
        found = subprocess.run(
            [uv(), "python", "find", python_version], check=False, capture_output=True, text=True
        )
        if found.returncode != 0:
            return False
        python = found.stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", str(target)], check=True)
    return True


def write_zip(target: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(target.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(target))
    partial.replace(out)


def megabytes(target: Path) -> float:
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file()) / 1e6


def build(
    model: Path, out: Path, python_version: str, python: str | None = None
) -> tuple[float, float, bool]:
    """Build ``out``; returns its unzipped and zipped size in MB and whether bytecode is in it."""
    if not (model / "version.json").is_file():
        raise PackageError(
            f"{model} is not an exported model directory (no version.json): run `predictor export` first"
        )
    with tempfile.TemporaryDirectory(prefix="lambda-zip-") as scratch:
        target = Path(scratch) / "package"
        install(target, python_version, Path(scratch))
        shutil.copytree(model, target / "model")
        compiled = compile_bytecode(target, python_version, python)
        unzipped = megabytes(target)
        if unzipped > LIMIT_MB:
            raise PackageError(f"the package is {unzipped:.1f} MB unzipped, over Lambda's {LIMIT_MB} MB")
        write_zip(target, out)
    return unzipped, out.stat().st_size / 1e6, compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", type=Path, required=True, help="an exported model directory (predictor export)"
    )
    parser.add_argument("--out", type=Path, default=Path("build/predictor-lambda.zip"))
    parser.add_argument(
        "--python-version", default="3.12", help="the Lambda runtime's Python (default: 3.12)"
    )
    parser.add_argument(
        "--compile-with", metavar="PYTHON", help="that Python's interpreter, for the bytecode"
    )
    args = parser.parse_args(argv)
    try:
        unzipped, zipped, compiled = build(args.model, args.out, args.python_version, args.compile_with)
    except (PackageError, FileNotFoundError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    bytecode = "with bytecode" if compiled else f"without bytecode (no Python {args.python_version} here)"
    sys.stdout.write(f"{args.out}: {unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped, {bytecode}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
