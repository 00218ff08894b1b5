"""MkDocs hooks (``hooks:`` in mkdocs.yml): the reference tables put into their pages at build time.

A page holding ``settings_reference.MARKER`` gets the configuration table, one holding
``troubleshooting.MARKER`` the error tables; a gap in either (a setting or error without its
words) fails the build.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

# MkDocs loads this file by path: the repository root makes `tools` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.docsite import settings_reference, troubleshooting  # after the path


def on_page_markdown(markdown: str, **_: Any) -> str:
    if settings_reference.MARKER in markdown:
        found, meant = settings_reference.settings(), settings_reference.meanings()
        _refuse(settings_reference.problems(found, meant))
        markdown = markdown.replace(settings_reference.MARKER, settings_reference.table(found, meant))
    if troubleshooting.MARKER in markdown:
        fixes = troubleshooting.load_fixes()
        _refuse(troubleshooting.gaps(fixes))
        markdown = markdown.replace(troubleshooting.MARKER, troubleshooting.render(fixes))
    return markdown


def _refuse(gaps: list[str]) -> None:
    if gaps:
        raise PluginError("the reference is incomplete: " + "; ".join(gaps))
