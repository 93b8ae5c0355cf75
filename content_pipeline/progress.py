"""Progress of a stage over one day, told to whoever listens (the CLI's progress bars, the run log).

A stage calls `track(stage, day, total)` once it knows how many rows the day has, `advance(rows)` after each chunk
and `finish()` at the end. Listeners are registered for the life of a command (`listening(...)`); a listener that
raises is dropped rather than failing the stage.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class StageProgress:
    """Rows done of `total` for one stage and day, since `started` (time.monotonic())."""

    stage: str
    day: str
    total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: bool = False
    kept: int = 0  # rows an earlier, interrupted run had already done (they do not count in the rate)
    unchanged: bool = False  # the stored partition was kept whole: its input, code and settings are unchanged
    ended: float | None = None  # time.monotonic() at the finish

    @property
    def elapsed_s(self) -> float:
        return max(0.0, (self.ended if self.ended is not None else time.monotonic()) - self.started)

    @property
    def rate(self) -> float:
        """Rows per second so far (0 before the first row)."""
        elapsed, worked = self.elapsed_s, self.done - self.kept
        return worked / elapsed if elapsed > 0 and worked > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far; None before there is a rate."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None

    def describe(self) -> str:
        """One line a person reads: `classify 2026-12-01: 3,000/10,000 rows (30%), 41.2 rows/s, ETA 2m50s`."""
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        eta = "" if self.finished or self.eta_s is None else f", ETA {duration(self.eta_s)}"
        took = f" in {duration(self.elapsed_s)}" if self.finished else ""
        kept = f" ({self.kept:,} kept from an interrupted run)" if self.kept else ""
        if self.unchanged:
            kept = " (unchanged: the stored partition is kept)"
        rows = f"{self.done:,}/{self.total:,} rows{share}"
        return f"{self.stage} {self.day}: {rows}, {self.rate:.1f} rows/s{eta}{took}{kept}"


class ProgressListener(Protocol):
    def update(self, progress: StageProgress) -> None:
        """Called after each chunk and once more when the stage finishes (`progress.finished` then True)."""


_listeners: list[ProgressListener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: ProgressListener) -> Iterator[ProgressListener]:
    """Tell `listener` about every stage's progress in this process until the block ends."""
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)


class ProgressTracker:
    """What a stage holds while it works through a day."""

    def __init__(
        self, stage: str, day: str, total: int, kept: int = 0, started: float | None = None, unchanged: bool = False
    ) -> None:
        done = total if unchanged else min(kept, total)
        self.progress = StageProgress(stage, day, total, done=done, kept=done, unchanged=unchanged)
        if started is not None:  # the stage began before it knew its total
            self.progress.started = started
        self._counting = threading.Lock()  # chunks may finish in several threads
        self._tell()

    def advance(self, rows: int) -> StageProgress:
        with self._counting:
            self.progress.done = min(self.progress.total, self.progress.done + rows)
        self._tell()
        return self.progress

    def finish(self) -> StageProgress:
        self.progress.done = self.progress.total
        self.progress.finished = True
        self.progress.ended = time.monotonic()
        self._tell()
        return self.progress

    def _tell(self) -> None:
        with _lock:
            listeners = list(_listeners)
        for listener in listeners:
            try:
                listener.update(self.progress)
            except Exception:  # a broken display must not fail the stage
                with _lock:
                    if listener in _listeners:
                        _listeners.remove(listener)


def track(
    stage: str, day: str, total: int, kept: int = 0, started: float | None = None, unchanged: bool = False
) -> ProgressTracker:
    """A tracker for one stage's day; `unchanged`: the stored partition is kept whole, nothing is done."""
    return ProgressTracker(stage, day, total, kept, started, unchanged)


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
