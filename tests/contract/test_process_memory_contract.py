"""The ``ProcessMemory`` contract, run against the fake (``StaticProcessMemory``) and the proc
file system's reader: a reading is a positive number of bytes, or None where the system does
not tell it, and a reading never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictor.adapters.memory import StaticProcessMemory
from predictor.adapters.system.memory import ProcfsProcessMemory
from predictor.domain.ports import ProcessMemory


@pytest.fixture(params=["static", "procfs"])
def memory(request: pytest.FixtureRequest) -> ProcessMemory:
    if request.param == "static":
        return StaticProcessMemory(50_000_000, step=4096)
    return ProcfsProcessMemory()


def test_a_reading_is_a_positive_size_or_unknown(memory: ProcessMemory) -> None:
    readings = [memory.resident_bytes() for _ in range(3)]
    assert all(reading is None or reading > 0 for reading in readings)


def test_the_procfs_reader_gives_this_process_size_where_there_is_procfs() -> None:
    reading = ProcfsProcessMemory().resident_bytes()
    if Path("/proc/self/statm").exists():
        assert reading is not None
        assert reading > 1_000_000  # a Python process with numpy loaded holds more than a megabyte
    else:
        assert reading is None


def test_without_a_proc_file_system_the_size_is_unknown(tmp_path: Path) -> None:
    assert ProcfsProcessMemory(tmp_path / "no-statm").resident_bytes() is None
    assert StaticProcessMemory().resident_bytes() is None
