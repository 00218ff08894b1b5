"""A benchmark's section of docs/performance.md, between its own markers; the rest of the file is
left as it is (other benchmarks and hand-written notes live there too)."""

from __future__ import annotations

import re
from pathlib import Path


def write_section(out: Path, name: str, lines: list[str]) -> None:
    """Replace the text between ``<!-- name:begin -->`` and ``<!-- name:end -->``, or append it."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = "\n".join([begin, *lines, end])
    text = out.read_text() if out.exists() else "# Performance\n"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    out.write_text(text)
