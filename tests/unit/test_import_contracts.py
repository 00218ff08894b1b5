"""The import contracts fail when the shape breaks: lint-imports, run with the project's own
configuration on a copy of the package with one forbidden import injected per contract, reports
every contract broken, each by the import injected for it. (`make contracts` shows the real tree
keeps them all.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# module file (under src/predictor) -> the import appended to it, and the chain lint-imports reports
INJECTED = {
    "domain/schema.py": ("import pandas", "predictor.domain.schema -> pandas"),
    "services/serving/__init__.py": (
        "import predictor.adapters.memory",
        "predictor.services.serving -> predictor.adapters.memory",
    ),
    "entrypoints/http/__init__.py": (
        "import predictor.adapters.files",
        "predictor.entrypoints.http -> predictor.adapters.files",
    ),
    "services/training/__init__.py": ("import mlflow", "predictor.services.training -> mlflow"),
    "entrypoints/cli/__init__.py": ("import xgboost", "predictor.entrypoints.cli -> xgboost"),
    "container/__init__.py": ("import optuna", "predictor.container -> optuna"),
    "services/registry/__init__.py": ("import boto3", "predictor.services.registry -> boto3"),
    "services/serving/partitioned.py": (
        "import distributed",
        "predictor.services.serving.partitioned -> distributed",
    ),
    "entrypoints/startup.py": (
        "import predictor.adapters.memory.container",
        "predictor.entrypoints.startup -> predictor.adapters.memory.container",
    ),
}


def _copy_with_injected_imports(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "predictor"
    shutil.copytree(ROOT / "src" / "predictor", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, (statement, _) in INJECTED.items():
        path = package / module
        path.write_text(path.read_text() + f"\n{statement}  # injected by the test\n")
    return tmp_path


def test_every_contract_fails_on_the_import_it_forbids(tmp_path: Path) -> None:
    project = _copy_with_injected_imports(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(project / "src")  # the copy, ahead of the installed package
    linted = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    report = linted.stdout + linted.stderr
    assert linted.returncode == 1, report
    assert "Contracts: 0 kept, 9 broken." in report, report
    for _, chain in INJECTED.values():
        assert chain in report, f"{chain!r} not reported:\n{report}"
