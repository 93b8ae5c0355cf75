"""What a person sees while `run`, `backfill` or `demo` works: bars on a terminal, plain lines in a log."""

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from content_pipeline.progress import StageProgress, track
from pipeline_defs.foreground import Console
from pipeline_defs.progress_display import (
    LINE_EVERY_S,
    MODE_ENV,
    REFRESH_PER_S,
    ProgressLines,
    chosen_mode,
    showing_progress,
)
from pipeline_defs.settings import PROJECT_ROOT

DAY = "2026-11-24"
STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files")  # Sheets off
HANG_GUARD_S = 120


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines_of(updates: list[tuple[float, StageProgress]]) -> list[str]:
    """The plain lines printed for `updates`, each given at its second on a fake clock."""
    clock, printed = FakeClock(), list[str]()
    listener = ProgressLines(printed.append, clock=clock)
    for second, progress in updates:
        clock.now = 1000.0 + second
        listener.update(progress)
    return printed


def at(progress: StageProgress, done: int, finished: bool = False) -> StageProgress:
    """The stage's progress as told at one moment (same stage, day and start)."""
    return replace(progress, done=done, finished=finished)


def test_plain_lines_show_a_stage_start_at_most_one_line_per_interval_and_its_finish() -> None:
    fetch = StageProgress("fetch", DAY, total=1000)
    updates = [(0.0, at(fetch, 0))]
    updates += [(second, at(fetch, 20 * second)) for second in range(1, 26)]  # a chunk every second for 25 s
    updates.append((25.5, at(fetch, 1000, finished=True)))
    printed = lines_of(updates)
    assert len(printed) == 4, printed  # the start, one line at 10 s, one at 20 s, the finish
    assert printed[0].startswith(f"fetch {DAY}: 0/1,000 rows (0%)")
    assert printed[1].startswith(f"fetch {DAY}: 200/1,000 rows (20%)")
    assert printed[2].startswith(f"fetch {DAY}: 400/1,000 rows (40%)")
    assert printed[3].startswith(f"fetch {DAY}: 1,000/1,000 rows (100%)") and " in " in printed[3]


def test_plain_lines_are_throttled_per_stage_so_a_busy_stage_does_not_hide_another() -> None:
    fetch, classify = StageProgress("fetch", DAY, total=100), StageProgress("classify", DAY, total=100)
    updates = [(0.0, at(fetch, 0)), (0.0, at(classify, 0))]
    updates += [(LINE_EVERY_S + 0.1 * i, at(fetch, 10 + i)) for i in range(5)]
    updates.append((LINE_EVERY_S + 1, at(classify, 50)))
    printed = lines_of(updates)
    assert [line.split(":")[0] for line in printed] == [
        f"fetch {DAY}",
        f"classify {DAY}",
        f"fetch {DAY}",
        f"classify {DAY}",
    ]
    assert "10/100 rows" in printed[2] and "50/100 rows" in printed[3]


def test_every_day_of_a_backfill_gets_its_own_start_and_finish_line_however_fast() -> None:
    updates = []
    for day in ("2026-10-01", "2026-10-02"):
        ingest = StageProgress("ingest", day, total=3)
        updates += [(0.0, at(ingest, 0)), (0.0, at(ingest, 3, finished=True))]
    printed = lines_of(updates)
    assert [line.split(" rows")[0] for line in printed] == [
        "ingest 2026-10-01: 0/3",
        "ingest 2026-10-01: 3/3",
        "ingest 2026-10-02: 0/3",
        "ingest 2026-10-02: 3/3",
    ]


def test_bars_are_chosen_on_a_terminal_lines_elsewhere_unless_the_setting_says_otherwise() -> None:
    assert chosen_mode("", on_terminal=True) == "bars"
    assert chosen_mode("", on_terminal=False) == "lines"
    assert chosen_mode("lines", on_terminal=True) == "lines"
    assert chosen_mode(" OFF ", on_terminal=True) == "off"
    assert chosen_mode("bars", on_terminal=False) == "bars"
    assert chosen_mode("sparkles", on_terminal=False) == "lines"


@contextmanager
def console_on(fd: int) -> Iterator[Console]:
    """The CLI's console, writing to `fd` instead of this process's standard error."""
    console = Console()
    os.close(console.fd)
    console.fd = fd
    yield console


def run_stages_through(console: Console, env: dict[str, str]) -> None:
    with showing_progress(console, env):
        tracker = track("fetch", DAY, 4)
        tracker.advance(2)
        console.say("a line from the command")
        tracker.finish()


def text_written_to_a_pipe(env: dict[str, str]) -> str:
    read_end, write_end = os.pipe()
    with console_on(write_end) as console:
        run_stages_through(console, env)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as reader:
        return reader.read()


def test_off_a_terminal_the_progress_comes_as_plain_prefixed_lines() -> None:
    written = text_written_to_a_pipe({})
    assert f"content-pipeline: fetch {DAY}: 0/4 rows (0%)" in written
    assert f"content-pipeline: fetch {DAY}: 4/4 rows (100%)" in written
    assert "content-pipeline: a line from the command" in written
    assert "\x1b[" not in written  # no escape codes in a log file


def test_progress_off_prints_only_what_the_command_says() -> None:
    assert text_written_to_a_pipe({MODE_ENV: "off"}) == "content-pipeline: a line from the command\n"


def test_an_unknown_progress_setting_is_named_and_the_automatic_choice_is_used() -> None:
    written = text_written_to_a_pipe({MODE_ENV: "sparkles"})
    assert f"content-pipeline: {MODE_ENV}='sparkles' is not one of bars, lines, off: showing lines" in written
    assert f"content-pipeline: fetch {DAY}: 4/4 rows (100%)" in written


@contextmanager
def pseudo_terminal(columns: int = 160) -> Iterator[tuple[int, list[bytes]]]:
    """A terminal's slave end to write to, and what arrived on the master end (read all along, so no write blocks)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    received: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the slave end is closed
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield slave, received
    finally:
        os.close(slave)
        reader.join(HANG_GUARD_S)
        os.close(master)


def test_on_a_terminal_each_stage_gets_a_bar_and_a_finished_day_stays_readable_above_the_next() -> None:
    with (
        pseudo_terminal() as (slave, received),
        console_on(slave) as console,
        showing_progress(console, {"TERM": "xterm"}) as mode,
    ):
        assert mode == "bars"
        first = track("fetch", "2026-10-01", 1200)
        first.advance(600)
        first.finish()
        track("classify", "2026-10-01", 1200).finish()
        second = track("fetch", "2026-10-02", 50)  # the backfill's next day: the fetch bar moves on
        second.advance(10)
        console.say("waiting for a pool slot")
    screen = b"".join(received).decode(errors="replace")
    assert "\x1b[?25l" in screen  # the cursor was hidden while the bars were drawn...
    assert screen.rindex("\x1b[?25h") > screen.rindex("\x1b[?25l")  # ...and shown again at the end
    assert "classify 2026-10-01" in screen and "1,200/1,200 rows" in screen
    assert "fetch 2026-10-02" in screen and "10/50 rows" in screen and "ETA" in screen
    assert "fetch 2026-10-01: 1,200/1,200 rows (100%)" in screen  # the day the bar left, printed above it
    assert "content-pipeline: waiting for a pool slot" in screen


def test_while_no_stage_has_started_the_terminal_shows_only_what_the_command_says() -> None:
    with (
        pseudo_terminal() as (slave, received),
        console_on(slave) as console,
        showing_progress(console, {"TERM": "xterm"}),
    ):
        console.say("waiting for a pool slot")
        time.sleep(3 / REFRESH_PER_S)  # time for a few redraws, which must not add blank lines
    screen = b"".join(received).decode(errors="replace")
    assert screen.startswith("content-pipeline: waiting for a pool slot\r\n")
    assert "\n" not in screen.removeprefix("content-pipeline: waiting for a pool slot\r\n")


def test_a_run_that_fails_stops_the_bars_and_shows_the_cursor_again() -> None:
    with pseudo_terminal() as (slave, received), console_on(slave) as console:
        with pytest.raises(RuntimeError, match="storage unwritable"), showing_progress(console, {"TERM": "xterm"}):
            track("export", DAY, 10).advance(5)
            raise RuntimeError("storage unwritable")
        console.say("export failed")
    screen = b"".join(received).decode(errors="replace")
    assert "export 2026-11-24" in screen and "5/10 rows" in screen
    assert screen.rindex("\x1b[?25h") > screen.rindex("\x1b[?25l")
    assert screen.endswith("content-pipeline: export failed\r\n")  # written plainly, after the bars


STDERR_SCRIPT = """
import os, subprocess, sys
from content_pipeline.progress import track
from pipeline_defs.progress_display import showing_progress

with showing_progress():
    fetch = track("fetch", "2026-11-24", 10)
    fetch.advance(5)
    print("a warning from a step [bold]:warning:", file=sys.stderr, flush=True)
    os.write(2, b"a line written to fd 2\\n")
    subprocess.run(["sh", "-c", "echo a line from a child process >&2"], check=True)
    fetch.finish()
print("after the bars", file=sys.stderr)
"""


def started_on(script: str, slave: int) -> subprocess.Popen[bytes]:
    """A Python process running `script` with the terminal `slave` as its standard error."""
    env = dict(os.environ, TERM="xterm")
    env.pop(MODE_ENV, None)
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=slave, env=env, cwd=PROJECT_ROOT
    )


def test_what_the_run_writes_to_standard_error_is_printed_above_the_bars_not_through_them() -> None:
    with pseudo_terminal() as (slave, received):
        child = started_on(STDERR_SCRIPT, slave)
        assert child.wait(HANG_GUARD_S) == 0
    screen = b"".join(received).decode(errors="replace")
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).replace("\r", "\n").split("\n")
    for said in ("a warning from a step [bold]:warning:", "a line written to fd 2", "a line from a child process"):
        assert said in lines, screen  # a line of its own, as written
    assert lines.index("a line from a child process") < max(i for i, line in enumerate(lines) if "10/10 rows" in line)
    assert [line for line in lines if line][-1] == "after the bars"


CTRL_C_SCRIPT = """
import sys, time
import dagster as dg
from content_pipeline.progress import track
from pipeline_defs.foreground import Foreground
from pipeline_defs.progress_display import showing_progress

def work() -> None:
    track("fetch", "2026-11-24", 100).advance(30)
    print("working", flush=True)
    time.sleep(600)

with showing_progress():
    Foreground(dg.DagsterInstance.ephemeral(), []).run(work)
"""


def test_ctrl_c_during_a_run_leaves_the_bars_on_screen_and_the_cursor_visible() -> None:
    with pseudo_terminal() as (slave, received):
        child = started_on(CTRL_C_SCRIPT, slave)
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == b"working\n"
            child.send_signal(signal.SIGINT)
            assert child.wait(HANG_GUARD_S) == 128 + signal.SIGINT
        finally:
            child.kill()
            child.wait()
    screen = b"".join(received).decode(errors="replace")
    assert "fetch 2026-11-24" in screen and "30/100 rows" in screen
    assert screen.rindex("\x1b[?25h") > screen.rindex("\x1b[?25l")
    assert screen.rindex("content-pipeline: stopped by SIGINT") > screen.rindex("\x1b[?25h")


def test_the_demo_off_a_terminal_logs_the_start_and_finish_of_every_stage(tmp_path: Path) -> None:
    env = dict(os.environ, CONTENT_PIPELINE_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(tmp_path / "dagster"))
    env.pop("GEMINI_API_KEY", None)
    env.pop(MODE_ENV, None)
    out = subprocess.run(
        [sys.executable, "-m", "pipeline_defs.cli", "demo", "--port", "0", "--date", DAY],
        check=False, capture_output=True, text=True, timeout=600, env=env, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for stage in STAGES:
        started = re.search(rf"^content-pipeline: {stage} {DAY}: [\d,]+/([\d,]+) rows", out.stderr, re.MULTILINE)
        assert started, f"no progress line for {stage}:\n{out.stderr[-3000:]}"
        total = started.group(1)
        assert re.search(rf"^content-pipeline: {stage} {DAY}: {total}/{total} rows.* in \d", out.stderr, re.M), (
            f"no finish line for {stage}:\n{out.stderr[-3000:]}"
        )
    assert "\x1b[" not in out.stderr
