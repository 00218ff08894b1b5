"""The scale benchmark's figures: one record per case and size, the memory estimate that decides
whether a case is worth running at a size, the break-even size and the table of them."""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3
CASES = ("train-single", "train-dask", "score-single", "score-dask")


@dataclass(frozen=True)
class Record:
    """One case at one size: ``status`` is ``ok``, ``failed``, ``stopped`` (the memory guard) or
    ``skipped`` (``note`` says why)."""

    case: str
    rows: int
    status: str
    seconds: float = 0.0
    peak_bytes: int = 0
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.status == "ok" and self.seconds > 0 else 0.0


def estimate(points: list[tuple[int, int]], rows: int) -> tuple[float, str] | None:
    """The peak bytes expected at ``rows`` from earlier (rows, peak) points of the same command:
    linear through the two largest sizes (the higher peak of a size measured twice), and how it
    was made; None with fewer than two sizes (one point says nothing of the start-up memory,
    which does not grow with the rows)."""
    peaks: dict[int, int] = {}
    for size, peak in points:
        if size < rows:
            peaks[size] = max(peak, peaks.get(size, 0))
    below = sorted(peaks.items())[-2:]
    if len(below) < 2:
        return None
    (r1, p1), (r2, p2) = below
    value = p2 + (p2 - p1) / (r2 - r1) * (rows - r2)
    how = f"linear through {r1:,} rows ({p1 / GIB:.2f} GiB) and {r2:,} rows ({p2 / GIB:.2f} GiB)"
    return value, how


def break_even(records: list[Record], task: str) -> str:
    """The smallest measured size at which Dask pays off for ``task`` (train or score): its rows/s
    beat the single process's, or the single process did not fit in memory there (stopped by the
    guard, or skipped on the estimate) and Dask ran."""
    by = {(r.case, r.rows): r for r in records}
    single, dask = f"{task}-single", f"{task}-dask"
    sizes = sorted({r.rows for r in records if r.case in (single, dask)})
    ran = False
    for rows in sizes:
        one, many = by.get((single, rows)), by.get((dask, rows))
        if one is None or many is None or many.status != "ok":
            continue
        ran = True
        if one.status in ("stopped", "skipped"):
            return f"{rows:,} rows, where the single process did not fit ({one.note}) and Dask ran"
        if one.status == "ok" and many.rows_per_s > one.rows_per_s:
            ratio = many.rows_per_s / one.rows_per_s
            return (
                f"{rows:,} rows ({many.rows_per_s:,.0f} against {one.rows_per_s:,.0f} rows/s, {ratio:.2f}x)"
            )
    if not ran:
        return f"not known: no size has a figure of `{dask}` to set against `{single}`"
    return f"not reached at the sizes measured (up to {max(sizes):,} rows): the single process was faster"


def cell(record: Record) -> str:
    """A record in a line: its figures, or why it has none."""
    if record.status == "ok":
        peak = record.peak_bytes / GIB
        return f"{record.seconds:,.1f} s, {record.rows_per_s:,.0f} rows/s, peak {peak:.2f} GiB"
    return record.note if record.status == "skipped" else f"{record.status}: {record.note}"


def _ratio(record: Record, by: dict[tuple[str, int], Record]) -> str:
    single = by.get((record.case.replace("-dask", "-single"), record.rows))
    if not record.case.endswith("-dask") or single is None or not (single.rows_per_s and record.rows_per_s):
        return ""
    return f"{record.rows_per_s / single.rows_per_s:.2f}x"


def _figures(record: Record) -> tuple[list[str], str]:
    """The wall time, rows/s and peak cells of a record, and its note."""
    if record.status == "ok":
        return [
            f"{record.seconds:,.1f} s",
            f"{record.rows_per_s:,.0f}",
            f"{record.peak_bytes / GIB:.2f} GiB",
        ], record.note
    if record.status == "stopped":
        return ["–", "–", f"over {record.peak_bytes / GIB:.2f} GiB"], "stopped by the memory guard"
    return ["–", "–", "–"], record.note if record.status == "skipped" else f"failed: {record.note}"


def table(records: list[Record]) -> list[str]:
    """One line per size and case, in the order of CASES; Dask's rows/s over the single process's."""
    by = {(r.case, r.rows): r for r in records}
    lines = [
        "| rows | case | wall time | rows/s | peak memory | Dask / single rows/s | note |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for rows in sorted({r.rows for r in records}):
        for record in (by[(case, rows)] for case in CASES if (case, rows) in by):
            figures, note = _figures(record)
            cells = [f"{rows:,}", f"`{record.case}`", *figures, _ratio(record, by), note.replace("|", "\\|")]
            lines.append("| " + " | ".join(cells) + " |")
    return lines
