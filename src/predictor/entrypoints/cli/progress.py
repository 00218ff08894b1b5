"""Progress bars (rich, on stderr): tuning (trials done, best score so far, time left) and batch
scoring (rows done, share of the file read, rows/s)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from predictor.domain.search import TrialRecord, TrialState, TuningProgress

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0, round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


class RichTuningProgress(TuningProgress):
    """One bar on stderr; nothing at all when stderr is not a terminal."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._started = 0.0
        self._trials: int | None = None
        self._timeout: float | None = None
        self._done = 0
        self._pruned = 0

    @staticmethod
    def wanted(quiet: bool) -> bool:
        return not quiet and sys.stderr.isatty()

    def started(self, trials: int | None, timeout: float | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._trials, self._timeout, self._started = trials, timeout, time.monotonic()
        self._progress = Progress(
            TextColumn("tuning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trials · best {task.fields[best]} · {task.fields[pruned]} pruned"),
            TimeElapsedColumn(),
            TextColumn("· left {task.fields[left]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("tuning", total=trials, best="–", pruned=0, left=self._left())

    def _left(self) -> str:
        elapsed = time.monotonic() - self._started
        estimates = []
        if self._trials is not None and self._done:
            estimates.append(elapsed / self._done * (self._trials - self._done))
        if self._timeout is not None:
            estimates.append(self._timeout - elapsed)
        return _clock(min(estimates)) if estimates else "?"

    def trial_finished(self, record: TrialRecord, best: TrialRecord | None) -> None:
        self._done += 1
        self._pruned += record.state is TrialState.PRUNED
        if self._progress is None or self._task is None:
            return
        shown = f"{best.value:.4f} (#{best.number})" if best is not None and best.value is not None else "–"
        self._progress.update(self._task, advance=1, best=shown, pruned=self._pruned, left=self._left())

    def finished(self) -> None:
        if self._progress is not None:
            self._progress.stop()


class RowProgress:
    """One bar on stderr (rows done, share of the file read, rows/s); nothing when stderr is
    not a terminal or with --quiet."""

    def __init__(self, label: str, shown: bool) -> None:
        self._label = label
        self._shown = shown
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> RowProgress:
        if self._shown:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            progress = Progress(
                TextColumn(self._label),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            progress.start()
            self._task = progress.add_task(self._label, total=1.0, rows=0, rate=0.0)
            self._progress = progress
        self._started = time.monotonic()
        return self

    def __call__(self, rows: int, done: float | None) -> None:
        if self._progress is not None and self._task is not None:
            rate = rows / max(time.monotonic() - self._started, 1e-9)
            self._progress.update(self._task, completed=done or 0.0, rows=rows, rate=rate)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
