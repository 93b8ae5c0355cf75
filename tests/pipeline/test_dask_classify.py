"""The whole graph with classify's pages extracted and the local model's answers computed by a Dask cluster (a
scheduler and two worker processes on 127.0.0.1, started here) stores the very partitions a run on this machine
stores."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dask.typing import Key
from distributed import LocalCluster, SchedulerPlugin
from polars.testing import assert_frame_equal

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE

DAY = "2026-11-24"


class FinishedTasks(SchedulerPlugin):
    """The keys of the tasks the scheduler saw finish."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def transition(self, key: Key, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "memory":
            self.keys.append(str(key))


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, FinishedTasks]]:
    """The scheduler's address, and what it ran."""
    finished = FinishedTasks()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0") as c:
        c.scheduler.add_plugin(finished)  # type: ignore[union-attr]
        yield c.scheduler_address, finished


def run_day(home: Path, sample_site: str, instance: dg.DagsterInstance, **env: str) -> PartitionStore:
    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(home), START_DATE: TESTS_START_DATE, **env})
    settings = settings.allowing("127.0.0.1")
    settings.inbox.mkdir(parents=True)
    lines = ["url"] + [url for url, _ in sample_urls(sample_site)]
    (settings.inbox / f"site-{DAY}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_partition(settings, DAY, instance).success
    return PartitionStore(settings.warehouse)


def test_a_day_classified_on_the_cluster_is_the_day_classified_here(
    cluster: tuple[str, FinishedTasks], sample_site: str, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    address, finished = cluster
    here = run_day(tmp_path / "here", sample_site, instance)
    there = run_day(tmp_path / "cluster", sample_site, instance, CONTENT_PIPELINE_DASK_SCHEDULER=address)
    assert any(key.startswith("classify_on_worker") for key in finished.keys), "no classify task ran on the cluster"
    assert any(key.startswith("categorize_on_worker") for key in finished.keys), "no categorize task ran there"
    for stage in ("classify", "categorize"):
        assert_frame_equal(here.read(stage, DAY).sort("record_id"), there.read(stage, DAY).sort("record_id"))
    assert there.read("classify", DAY).height == len(sample_urls(sample_site))
