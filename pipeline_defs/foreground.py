"""Run work of the command line in a worker thread, so the main thread stays free to watch it and to stop it.

Dagster holds Ctrl-C back while a run executes and only acts on it between steps, so a run waiting for a pool slot
would ignore it. Here the main thread handles SIGINT and SIGTERM itself: it marks the current run canceled, frees
its pool slots and ends the process at once (every write of the pipeline is atomic, and the fetch journal keeps
what was finished). Meanwhile it looks every few seconds at the pools the run waits for (see run_guard.PoolWatch).
"""

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Generic, Protocol, TypeVar

import dagster as dg
import psutil

from pipeline_defs.run_guard import PoolWatch

T = TypeVar("T")
POLL_S = 1.0
WATCH_EVERY_S = 3.0  # a look at the pools costs ~20 ms of the run's CPU (a new SQLite engine each time)
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class LiveDisplay(Protocol):
    """Something that redraws itself on the terminal (the progress bars)."""

    def print_above(self, line: str) -> None: ...

    def close(self) -> None: ...


class Console:
    """Standard error as it was when the command started: Dagster points file descriptors 1 and 2 at a run's
    compute-log files while the run executes, and a line for the person at the terminal must not go there."""

    def __init__(self) -> None:
        self.fd = os.dup(2)
        self.display: LiveDisplay | None = None  # while set, lines print above it

    def say(self, line: str) -> None:
        text = f"content-pipeline: {line}"
        if self.display is not None:
            self.display.print_above(text)
        else:
            os.write(self.fd, f"{text}\n".encode(errors="replace"))

    def close_display(self) -> None:
        """Close the live display, if any, leaving the terminal as it was (cursor shown); never raises."""
        display, self.display = self.display, None
        if display is not None:
            with contextlib.suppress(Exception):
                display.close()


CONSOLE = Console()  # made on import, before any run
say = CONSOLE.say


class Foreground(Generic[T]):
    """One piece of work (one or more runs) in a worker thread; `current_run_id` names the run going on."""

    def __init__(self, instance: dg.DagsterInstance, pools: list[str]) -> None:
        self.instance = instance
        self.watch = PoolWatch(instance, pools, say)
        self.current_run_id: str | None = None
        self.stop_signal: int | None = None

    def run(self, work: Callable[[], T]) -> T:
        """`work()`'s result; on SIGINT or SIGTERM the process ends with 128 + the signal's number."""
        outcome: list[T] = []
        failure: list[BaseException] = []

        def target() -> None:
            try:
                outcome.append(work())
            except BaseException as exc:  # handed to the main thread, which raises it
                failure.append(exc)

        worker = threading.Thread(target=target, name="content-pipeline-run", daemon=True)
        previous = {signum: signal.signal(signum, self.on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            worker.start()
            watched_at = -WATCH_EVERY_S
            while worker.is_alive():
                worker.join(POLL_S)
                if self.stop_signal is not None:
                    self.stop()
                due = time.monotonic() - watched_at >= WATCH_EVERY_S
                if due and worker.is_alive() and self.current_run_id is not None:
                    self.watch.check(self.current_run_id)
                    watched_at = time.monotonic()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if failure:
            raise failure[0]
        return outcome[0]

    def track(self, run_id: str) -> None:
        """Told by the runner which run starts now."""
        self.current_run_id = run_id

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = signum

    def stop(self) -> None:
        """Mark the current run canceled, free its slots, end the process and its children now."""
        signum = self.stop_signal or signal.SIGTERM
        name = signal.Signals(signum).name
        CONSOLE.close_display()  # os._exit below runs no cleanup: the progress bars hid the cursor
        run = self.instance.get_run_by_id(self.current_run_id) if self.current_run_id else None
        if run is not None and run.status not in FINISHED:
            self.instance.report_run_canceled(run, f"Stopped by {name} from the command line.")
            self.instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            say(f"stopped by {name}: run {run.run_id[:8]} marked canceled and its pool slots freed; run again to go on")
        else:
            say(f"stopped by {name}")
        for child in psutil.Process().children(recursive=True):  # the classify process pool, if any
            with contextlib.suppress(psutil.Error):
                child.kill()
        sys.stdout.flush()
        os._exit(128 + signum)
