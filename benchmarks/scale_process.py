"""One command of the scale benchmark, run and watched: its wall time and the peak memory of its
whole process tree (the CLI process and every child: a LocalCluster's nanny and worker processes,
multiprocessing's helpers).

Every ``SAMPLE_S`` the RSS of the command and of all its descendants (``psutil``, recursively) is
summed; the largest sum is the peak. RSS counts a page shared by two processes in both, so the
sum can exceed what the tree really holds; Dask starts its workers by spawning (not forking), so
little is shared. A sample can miss a spike shorter than ``SAMPLE_S``.

The memory guard: when the sum passes ``limit`` bytes, the whole tree is killed (SIGKILL to the
command's process group, which it leads, and to every descendant seen) and the run is recorded as
stopped at that size, without a time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_S = 0.2
GIB = 1024**3


@dataclass(frozen=True)
class Outcome:
    """How one command went: ``status`` is ``ok``, ``failed`` (non-zero exit; ``note`` holds the
    end of its stderr) or ``stopped`` (the memory guard killed it at ``peak_bytes``)."""

    status: str
    seconds: float
    peak_bytes: int
    note: str = ""


def tree_rss(root: psutil.Process) -> tuple[int, list[psutil.Process]]:
    """The summed RSS of ``root`` and its descendants, and those processes."""
    try:
        members = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, []
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total, members


def kill_tree(process: subprocess.Popen[bytes], members: Sequence[psutil.Process]) -> None:
    """SIGKILL the command's process group and every descendant seen (one may have left the group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for member in members:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            continue
    process.wait()


def _left_behind(group: int, grace_s: float = 5.0) -> bool:
    """Whether a process of the command's group still runs ``grace_s`` after the command exited;
    if one does, the group is killed."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(SAMPLE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    return True


def _tail(path: Path, lines: int = 3) -> str:
    text = path.read_text(errors="replace").splitlines() if path.exists() else []
    return " / ".join([line.strip() for line in text if line.strip()][-lines:])


def run(command: Sequence[str], *, cwd: Path, env: dict[str, str], limit: int, log: Path) -> Outcome:
    """Run ``command`` to its end (or until the guard stops it), sampling its tree's memory."""
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            rss, members = tree_rss(root)
            peak = max(peak, rss)
            if rss > limit:
                kill_tree(process, members)
                return Outcome(
                    "stopped", time.perf_counter() - started, rss, f"stopped at {rss / GIB:.1f} GiB"
                )
            time.sleep(SAMPLE_S)
        seconds = time.perf_counter() - started
    note = "it left processes behind 5 s after it exited (killed)" if _left_behind(process.pid) else ""
    if process.returncode != 0:
        return Outcome("failed", seconds, peak, f"exit {process.returncode}: {_tail(log)}")
    return Outcome("ok", seconds, peak, note)
