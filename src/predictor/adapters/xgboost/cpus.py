"""How many threads XGBoost gets: the CPUs this process may use, shared between server workers."""

from __future__ import annotations

import os


def available_cpus() -> int:
    """CPUs this process may run on (honours affinity masks, unlike ``os.cpu_count``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """The thread team of one of ``workers`` server processes for a big batch: its share of the
    CPUs, so that workers scoring at the same time do not run more threads than there are CPUs
    (OpenMP threads waiting for a CPU spin, and a batch then takes several times as long);
    0 for a single worker, which lets XGBoost use every CPU."""
    return 0 if workers <= 1 else max(1, available_cpus() // workers)
