"""import-linter contract types the built-in ones lack, loaded through ``contract_types`` in
pyproject.toml (lint-imports puts the working directory on ``sys.path``, so run it from the
repository root, as ``make contracts`` does).

``allow_list``: the source packages import only the standard library, the allowed modules and
themselves. The built-in ``forbidden`` contract names what may not be imported, so a new
dependency (pandas, say) passes until someone adds it to the list; an allow-list fails first.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import cast

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.imports import Module


@dataclass(frozen=True)
class IllegalImport:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


def is_standard_library(module: str) -> bool:
    return module.split(".", 1)[0] in sys.stdlib_module_names


def _within(module: str, packages: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


class AllowListContract(Contract):
    """The modules in ``source_modules`` (and below) directly import nothing but themselves,
    ``allowed_modules`` (and below) and, unless ``allow_standard_library`` is false, the
    standard library. Direct imports suffice: if every module of the package keeps to the list,
    so does every chain out of it.

    Configuration options:
        - source_modules:          the packages whose imports are checked.
        - allowed_modules:         the packages (internal or external) they may import.
        - allow_standard_library:  whether the standard library is allowed (default true).
    """

    type_name = "allow_list"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)
    allow_standard_library = fields.BooleanField(required=False, default=True)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources = {m.name for m in cast("list[Module]", self.source_modules)}
        allowed = sources | {m.name for m in cast("list[Module] | None", self.allowed_modules) or []}
        stdlib_ok = bool(self.allow_standard_library)
        illegal: list[IllegalImport] = []
        for source in sorted(sources):
            if source not in graph.modules:
                raise ValueError(f"Module '{source}' does not exist.")
            for importer in sorted({source} | graph.find_descendants(source)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if _within(imported, allowed) or (stdlib_ok and is_standard_library(imported)):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = tuple(int(d["line_number"]) for d in details)
                    illegal.append(IllegalImport(importer, imported, lines))
            output.verbose_print(verbose, f"Checked the imports of {source}.")
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        allowed = ", ".join(sorted(m.name for m in cast("list[Module] | None", self.allowed_modules) or []))
        output.print_error(f"Imports outside the allow-list (the standard library, {allowed}):", bold=False)
        output.new_line()
        for found in cast("list[IllegalImport]", check.metadata["illegal"]):
            lines = ", ".join(map(str, found.line_numbers))
            output.print_error(f"- {found.importer} -> {found.imported} (l.{lines})", bold=False)
            output.new_line()
