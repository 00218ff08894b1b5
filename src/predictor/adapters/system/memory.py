"""The process's resident memory, read from ``/proc/self/statm`` (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

from predictor.domain.ports import ProcessMemory

STATM = Path("/proc/self/statm")


class ProcfsProcessMemory(ProcessMemory):
    """The resident set size from the proc file system; None where there is none (macOS, Windows)."""

    def __init__(self, statm: Path = STATM) -> None:
        self._statm = statm

    def resident_bytes(self) -> int | None:
        try:
            fields = self._statm.read_text().split()
            return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):  # no proc file system here
            return None
