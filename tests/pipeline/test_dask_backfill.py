"""A 3-day backfill whose classify and categorize run on a Dask cluster (a scheduler and two worker processes on
127.0.0.1, started here) stores exactly the records of the same backfill run on this machine, even when a worker is
killed mid-classify and another mid-categorize."""

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
from dask.typing import Key
from distributed import Client, LocalCluster, Scheduler, SchedulerPlugin
from polars.testing import assert_frame_equal

from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_range
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
from tests.faults.test_killed_runs import Origin

DAYS = ("2026-11-20", "2026-11-21", "2026-11-22")
# 80 in the suite; `DASK_BACKFILL_PAGES_A_DAY=2000 uv run pytest tests/pipeline/test_dask_backfill.py` runs the
# issue's size by hand (a few thousand URLs a day)
PAGES_A_DAY = int(os.environ.get("DASK_BACKFILL_PAGES_A_DAY", "80"))
STORED = ("ingest", "fetch", "classify", "categorize", "export")
VOLATILE = {"fetch": ["fetched_at", "elapsed_ms"], "export": []}  # when each page was fetched, how long it took
KILL_AFTER_TASKS = 4  # classify tasks the cluster finishes before a worker is killed


class KillWorkers(SchedulerPlugin):
    """Kills one worker process (SIGKILL) once the scheduler has seen `after` classify tasks finish, and the worker
    given the first categorize task as soon as it has it; their nannies start fresh ones. Runs in the scheduler's
    thread, so each kill lands while the day's other tasks are queued."""

    def __init__(self, scheduler: Scheduler, pids: list[int], after: int) -> None:
        self.scheduler, self.pids, self.after = scheduler, pids, after
        self.finished = 0
        self.killed: list[str] = []  # what each kill interrupted
        self.lock = threading.Lock()

    def transition(self, key: Key, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        name = str(key)
        with self.lock:
            if finish == "memory" and name.startswith("classify_on_worker"):
                self.finished += 1
                if self.finished == self.after:
                    os.kill(self.pids[0], signal.SIGKILL)
                    self.killed.append("classify")
            elif finish == "processing" and name.startswith("categorize_on_worker") and "categorize" not in self.killed:
                worker = self.scheduler.tasks[key].processing_on
                if worker is not None and worker.pid:
                    os.kill(worker.pid, signal.SIGKILL)
                    self.killed.append("categorize")


@pytest.fixture
def cluster() -> Iterator[tuple[str, KillWorkers]]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0") as c:
        with Client(c.scheduler_address, set_as_default=False) as client:
            pids = sorted(client.run(os.getpid).values())
        killer = KillWorkers(c.scheduler, pids, KILL_AFTER_TASKS)  # type: ignore[arg-type]
        c.scheduler.add_plugin(killer)  # type: ignore[union-attr]
        yield c.scheduler_address, killer


@pytest.fixture
def origin() -> Iterator[str]:
    server = Origin(delay_s=0.0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def backfill(home: Path, base_url: str, **env: str) -> dict[str, pl.DataFrame]:
    # one local host serves every page: the politeness limits for a real site would only slow the test down
    unthrottled = {"CONTENT_PIPELINE_FETCH_PER_HOST_RATE": "0", "CONTENT_PIPELINE_FETCH_PER_HOST_CONCURRENCY": "16"}
    variables = {"CONTENT_PIPELINE_HOME": str(home), START_DATE: TESTS_START_DATE, **unthrottled, **env}
    settings = Settings.from_env(variables)
    settings = settings.allowing("127.0.0.1")
    settings.inbox.mkdir(parents=True)
    for number, day in enumerate(DAYS):
        first = number * PAGES_A_DAY
        urls = [f"{base_url}/story/{n}" for n in range(first, first + PAGES_A_DAY)]
        (settings.inbox / f"stories-{day}.csv").write_text("\n".join(["url", *urls]) + "\n", encoding="utf-8")
    with dg.instance_for_test() as instance:
        results = run_range(settings, DAYS[0], DAYS[-1], instance)
    assert results and all(result.success for result in results)
    store = PartitionStore(settings.warehouse)
    return {
        f"{stage} {day}": store.read(stage, day).drop(VOLATILE.get(stage, [])).sort("record_id")
        for stage in STORED
        for day in DAYS
    }


def test_a_backfill_on_the_cluster_with_workers_killed_is_the_backfill_run_here(
    cluster: tuple[str, KillWorkers], origin: str, tmp_path: Path
) -> None:
    address, killer = cluster
    here = backfill(tmp_path / "here", origin)
    there = backfill(tmp_path / "cluster", origin, CONTENT_PIPELINE_DASK_SCHEDULER=address)
    assert killer.killed == ["classify", "categorize"], killer.killed  # a worker died in each stage
    assert killer.finished >= len(DAYS) * PAGES_A_DAY // 8  # every day's pages went through the cluster
    assert here.keys() == there.keys()
    for name, stored in here.items():
        try:
            assert_frame_equal(stored, there[name])
        except AssertionError as difference:
            raise AssertionError(f"{name}: {difference}") from None
    for day in DAYS:
        classified = there[f"classify {day}"]
        assert classified.height == PAGES_A_DAY and set(classified["status"]) == {"ok"}
