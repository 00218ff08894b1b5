"""The shape checks: ``python -m tools.shape`` (from the repository root, as ``make lint`` runs it).

It fails when, under ``src/predictor``:

- a module is over ``MAX_MODULE_LINES`` lines, or a function over ``MAX_FUNCTION_LINES``;
- code in ``domain/`` or ``services/`` does file I/O: ``open()``, the ``Path`` file methods
  (``read_text``, ``write_bytes``, ``open``, ``mkdir``, ``unlink`` ...), ``shutil``, ``tempfile``
  or the ``os`` file calls. It reads the syntax tree, not the types, so a method named like a
  ``Path`` one counts too; name port methods otherwise.

Known exceptions are listed, each with its reason, in ``tools/shape_allowlist.toml``. The list may
only shrink: an entry that no longer needs to be there (the module is within the limit, the
function is gone or short, the I/O is gone) fails the check until it is removed.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_MODULE_LINES = 250
MAX_FUNCTION_LINES = 60
IO_PACKAGES = ("domain", "services")
PATH_METHODS = frozenset(
    {
        "open", "read_text", "read_bytes", "write_text", "write_bytes", "mkdir", "unlink", "rmdir",
        "touch", "iterdir", "glob", "rglob", "rename", "symlink_to", "hardlink_to", "chmod",
    }
)  # fmt: skip
IO_MODULES = frozenset({"shutil", "tempfile"})
OS_CALLS = frozenset(
    {
        "open", "fdopen", "remove", "unlink", "rename", "replace", "mkdir", "makedirs", "rmdir",
        "removedirs", "listdir", "scandir", "walk", "stat", "truncate", "link", "symlink",
        "chmod", "chown", "utime", "path.exists", "path.isfile", "path.isdir", "path.getsize",
    }
)  # fmt: skip
MODULE = "<module>"


@dataclass(frozen=True)
class Finding:
    """One breach: what kind, its allow-list key, and a line for the reader."""

    kind: str  # "modules" | "functions" | "file_io": the allow-list table it would go in
    key: str
    message: str


@dataclass
class Allowlist:
    modules: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    file_io: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Allowlist:
        if not path.exists():
            return cls()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {"modules", "functions", "file_io"}
        if unknown:
            raise ValueError(f"{path}: unknown tables {sorted(unknown)}")
        tables = {name: dict(data.get(name, {})) for name in ("modules", "functions", "file_io")}
        for name, table in tables.items():
            for key, reason in table.items():
                if not isinstance(reason, str) or not reason.strip():
                    raise ValueError(f"{path}: [{name}] {key!r} needs a reason")
        return cls(**tables)

    def table(self, kind: str) -> dict[str, str]:
        return {"modules": self.modules, "functions": self.functions, "file_io": self.file_io}[kind]


class _Scanner(ast.NodeVisitor):
    """Functions with their lengths and, when asked, the file I/O calls of one module."""

    def __init__(self, name: str, check_io: bool) -> None:
        self.name = name
        self.check_io = check_io
        self.scope: list[str] = []
        self.aliases: dict[str, str] = {}  # local name -> dotted origin (os, shutil.rmtree ...)
        self.findings: list[Finding] = []

    def _where(self) -> str:
        return f"{self.name}:{'.'.join(self.scope) or MODULE}"

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_FUNCTION_LINES:
            where = self._where()
            message = f"{where} is {length} lines (limit {MAX_FUNCTION_LINES})"
            self.findings.append(Finding("functions", where, message))
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        if self.check_io:
            what = self._file_io(node.func)
            if what is not None:
                where = self._where()
                message = f"{self.name}:{node.lineno} does file I/O ({what}) in {where}"
                self.findings.append(Finding("file_io", where, message))
        self.generic_visit(node)

    def _file_io(self, func: ast.expr) -> str | None:
        dotted = _dotted(func)
        if dotted is not None:
            head, _, rest = dotted.partition(".")
            origin = self.aliases.get(head, "builtins.open" if head == "open" else head)
            full = f"{origin}.{rest}" if rest else origin
            package, _, call = full.partition(".")
            if full in {"builtins.open", "io.open"} or package in IO_MODULES:
                return f"{full}()"
            if package == "os" and call in OS_CALLS:
                return f"{full}()"
        if isinstance(func, ast.Attribute) and func.attr in PATH_METHODS:
            return f".{func.attr}()"
        return None


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a name or a chain of attributes on one, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def scan(root: Path) -> Iterator[Finding]:
    """Every breach under ``root`` (the package directory, ``src/predictor``), allowed or not."""
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            yield Finding("modules", name, f"{name} is {lines} lines (limit {MAX_MODULE_LINES})")
        scanner = _Scanner(name, check_io=name.split("/", 1)[0] in IO_PACKAGES)
        scanner.visit(ast.parse(text, filename=str(path)))
        yield from scanner.findings


def check(root: Path, allowlist: Allowlist) -> list[str]:
    """The problems to report: breaches not allowed, and allow-list entries no longer needed."""
    findings = list(scan(root))
    problems = [f.message for f in findings if f.key not in allowlist.table(f.kind)]
    found = {(f.kind, f.key) for f in findings}
    for kind in ("modules", "functions", "file_io"):
        for key in allowlist.table(kind):
            if (kind, key) not in found:
                problems.append(f"allow-list [{kind}] {key!r} is no longer needed: remove it")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.shape", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("src/predictor"))
    parser.add_argument("--allowlist", type=Path, default=Path("tools/shape_allowlist.toml"))
    args = parser.parse_args(argv)
    problems = check(args.root, Allowlist.load(args.allowlist))
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    if problems:
        sys.stderr.write(f"shape: {len(problems)} problem(s); see tools/shape.py for the rules\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
