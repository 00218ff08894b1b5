"""The SAM stack's own functions (``deploy/hooks/``), loaded as Lambda loads them: by file, as a
top-level module, not as part of a package."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

HOOKS = Path(__file__).parents[3] / "deploy" / "hooks"


def stack_function(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
