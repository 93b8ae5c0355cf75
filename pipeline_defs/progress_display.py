"""What `run`, `backfill` and `demo` show while a run works: a live bar per stage on a terminal, plain lines elsewhere
(a CI log, a cron mail), nothing at all with CONTENT_PIPELINE_PROGRESS=off.

Both listen to `content_pipeline.progress` and write to the terminal's original standard error (`foreground.CONSOLE`),
because Dagster points file descriptors 1 and 2 at a step's compute-log files while the step executes. With bars,
whatever else reaches standard error during the run is printed above them (`StderrAboveBars`).
"""

import locale
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO

from rich.console import Console as RichConsole
from rich.console import ConsoleDimensions
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.table import Column
from rich.text import Text

from content_pipeline.progress import StageProgress, duration, listening
from pipeline_defs import environment
from pipeline_defs.foreground import CONSOLE, Console
from pipeline_defs.variables import PROGRESS as MODE_ENV
from pipeline_defs.variables import PROGRESS_MODES as MODES

LINE_EVERY_S = 10.0  # plain lines: at most one line per stage this often, besides the stage's start and finish
REFRESH_PER_S = 4.0  # bars: redraws per second
BAR_MAX_WIDTH = 40  # cells; the figures after the bar come first on a narrow terminal
STDERR_DRAIN_S = 2.0  # bars: how long the end waits for the last lines written to standard error during the run
STDERR_LINE_MAX = 64 * 1024  # bars: a longer line without a newline is printed in pieces of this many bytes


def chosen_mode(setting: str, on_terminal: bool) -> str:
    """`bars`, `lines` or `off`: the setting when it names one, else bars on a terminal and lines elsewhere."""
    value = setting.strip().lower()
    if value in MODES:
        return value
    return "bars" if on_terminal else "lines"


def is_terminal(fd: int, env: Mapping[str, str]) -> bool:
    """A terminal that understands cursor movement (not `TERM=dumb`, as in an editor's shell)."""
    return os.isatty(fd) and env.get("TERM", "") != "dumb"


class ProgressLines:
    """Plain lines: a stage's start, then at most one line every `every_s` seconds, then its finish."""

    def __init__(
        self, write: Callable[[str], None], every_s: float = LINE_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._write = write
        self._every_s = every_s
        self._clock = clock
        self._last_line_at: dict[tuple[str, str, float], float] = {}  # per stage, day and start: a retry is new
        self._lock = threading.Lock()

    def update(self, progress: StageProgress) -> None:
        key = (progress.stage, progress.day, progress.started)
        now = self._clock()
        with self._lock:
            last = self._last_line_at.get(key)
            if last is not None and not progress.finished and now - last < self._every_s:
                return
            if progress.finished:
                self._last_line_at.pop(key, None)
            else:
                self._last_line_at[key] = now
            self._write(progress.describe())


@dataclass
class Bar:
    """What one stage's bar shows: the day it works on, and at its finish the figures frozen then."""

    progress: StageProgress
    took_s: float | None = None  # set at the finish: StageProgress's own clock keeps running
    finished_line: str = ""


def figures(progress: StageProgress, took_s: float | None = None) -> str:
    """`3,000/10,000 rows  41.2 rows/s  ETA 2m50s  1m13s elapsed`; once finished (`took_s`), `... done in 4m03s`."""
    elapsed = progress.elapsed_s if took_s is None else took_s
    worked = progress.done - progress.kept
    rate = f"{worked / elapsed:.1f} rows/s" if elapsed > 0 and worked > 0 else "- rows/s"
    rows = f"{progress.done:,}/{progress.total:,} rows"
    if took_s is not None:
        return (
            f"{rows}  unchanged: stored partition kept"
            if progress.unchanged
            else f"{rows}  {rate}  done in {duration(took_s)}"
        )
    eta = progress.eta_s
    return f"{rows}  {rate}  ETA {'-' if eta is None else duration(eta)}  {duration(elapsed)} elapsed"


class FiguresColumn(ProgressColumn):
    """Rows done of total, rate, ETA and elapsed time, computed at each redraw so the clock ticks between chunks."""

    def render(self, task: Task) -> Text:
        bar: Bar = task.fields["bar"]
        return Text(figures(bar.progress, bar.took_s))


class ProgressBars:
    """A live bar per stage. A stage that moves on to another day (a backfill) keeps its bar, which then shows the
    new day, and the day it finished is printed above the bars, so nothing a person saw is lost."""

    def __init__(self, console: RichConsole, refresh_per_s: float = REFRESH_PER_S) -> None:
        self.live = Progress(
            TextColumn("{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=None, table_column=Column(max_width=BAR_MAX_WIDTH)),  # narrower on a narrow terminal
            FiguresColumn(table_column=Column(no_wrap=True)),
            console=console,
            refresh_per_second=refresh_per_s,
            redirect_stdout=False,  # Dagster captures a step's output through sys.stdout and sys.stderr
            redirect_stderr=False,
        )
        self._tasks: dict[str, TaskID] = {}  # one bar per stage
        self._bars: dict[str, Bar] = {}
        self._closed = False
        self._lock = threading.Lock()

    def update(self, progress: StageProgress) -> None:
        with self._lock:
            shown = self._bars.get(progress.stage)
            if shown is None or shown.progress is not progress:
                if shown is not None and shown.finished_line and shown.progress.day != progress.day:
                    self.print_above(shown.finished_line)
                self._bars[progress.stage] = Bar(progress)
            bar = self._bars[progress.stage]
            if progress.finished and bar.took_s is None:
                bar.took_s, bar.finished_line = progress.elapsed_s, progress.describe()
            label = f"{progress.stage} {progress.day}"
            total = max(1, progress.total)  # an empty day shows a full bar once finished
            done = total if progress.finished else progress.done
            task = self._tasks.get(progress.stage)
            if task is None:
                self._tasks[progress.stage] = self.live.add_task(label, total=total, completed=done, bar=bar)
                if not self._closed:  # from the first bar on: rich draws an empty display as a new blank line each time
                    self.live.start()
            else:
                self.live.update(task, description=label, total=total, completed=done, bar=bar)

    def print_above(self, line: str) -> None:
        """A line printed above the bars, which are redrawn below it."""
        self.live.console.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        """Stop redrawing, leave the last state of every bar on the screen and show the cursor again."""
        with self._lock:
            self._closed = True
        try:
            self.live.stop()
        finally:
            with suppress(Exception):
                self.live.console.show_cursor(True)


class StderrAboveBars:
    """While the bars are drawn, what reaches file descriptor 2 (Dagster's run log, warnings, a step's output that
    Dagster mirrors from its compute log, child processes) comes through a pipe and is printed above the bars, so it
    never lands in the middle of them. A step's compute log still gets its output: Dagster points fd 2 at it."""

    def __init__(self, write_line: Callable[[str], None]) -> None:
        self._write_line = write_line
        self._saved_fd: int | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        read_end, write_end = os.pipe()
        sys.stderr.flush()
        self._saved_fd = os.dup(2)
        os.dup2(write_end, 2)
        os.close(write_end)
        self._reader = threading.Thread(target=self._forward, args=(read_end,), name="stderr-above-bars", daemon=True)
        self._reader.start()

    def stop(self) -> None:
        """Give fd 2 back and print what is still on its way (children that still hold the pipe are not waited for)."""
        if self._saved_fd is None:
            return
        with suppress(ValueError, OSError):
            sys.stderr.flush()
        os.dup2(self._saved_fd, 2)
        os.close(self._saved_fd)
        self._saved_fd = None
        if self._reader is not None:
            self._reader.join(STDERR_DRAIN_S)

    def _forward(self, read_end: int) -> None:
        pending = b""
        with suppress(OSError):
            while chunk := os.read(read_end, 65536):
                *lines, pending = (pending + chunk).split(b"\n")
                if len(pending) > STDERR_LINE_MAX:
                    lines, pending = [*lines, pending], b""
                for line in lines:
                    self._write(line)
        if pending:
            self._write(pending)
        os.close(read_end)

    def _write(self, line: bytes) -> None:
        with suppress(Exception):  # a line that cannot be shown must not stop the ones after it
            self._write_line(line.decode(errors="replace").rstrip("\r"))


class TerminalConsole(RichConsole):
    """A rich console on the terminal behind `fd`, sized from that terminal: rich asks file descriptors 0, 1 and 2,
    and during a run Dagster points 1 and 2 at files (0 is no terminal under a pipe)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        stream: IO[str] = os.fdopen(
            fd, "w", encoding=locale.getpreferredencoding(False), errors="replace", closefd=False
        )
        super().__init__(file=stream, force_terminal=True)  # bars were chosen (a terminal, or asked for)

    @property
    def size(self) -> ConsoleDimensions:
        try:
            columns, lines = os.get_terminal_size(self._fd)
        except OSError:
            columns = lines = 0
        return ConsoleDimensions(columns, lines) if columns and lines else super().size  # 0 x 0: a new pty

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


@contextmanager
def showing_progress(console: Console = CONSOLE, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Show the progress of every stage while the block runs; yields the mode (`bars`, `lines` or `off`).

    With bars, `console.say` prints above them, and `Foreground.stop` (Ctrl-C) closes them before the process ends.
    `env` is the process's environment unless given.
    """
    env = environment.variables() if env is None else env
    setting = env.get(MODE_ENV, "")
    mode = chosen_mode(setting, is_terminal(console.fd, env))
    if setting.strip() and setting.strip().lower() not in MODES:
        console.say(f"{MODE_ENV}={setting!r} is not one of {', '.join(MODES)}: showing {mode}")
    if mode == "off":
        yield mode
    elif mode == "lines":
        with listening(ProgressLines(console.say)):
            yield mode
    else:
        bars = ProgressBars(TerminalConsole(console.fd))
        stderr = StderrAboveBars(bars.print_above)
        console.display = bars
        stderr.start()
        try:
            with listening(bars):
                yield mode
        finally:
            stderr.stop()
            console.close_display()
