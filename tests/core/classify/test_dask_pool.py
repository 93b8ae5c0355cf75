"""DaskClassifyPool: classify's pages on a real Dask distributed cluster (a scheduler and two worker processes on
127.0.0.1, started here), with the same results as on this machine, and no page lost when a worker dies."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import dask
import pytest
from distributed import LocalCluster

from content_pipeline.classify.dask_pool import DaskClassifyPool
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.pool import ClassifyPool
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.status import ClassifyStatus
from resources.classifier import ClassifierResource
from tests.core.classify.conftest import make_page
from tests.core.classify.crashing_pages import CRASH_MARKER, crashing_dask_task

PARAGRAPH = "The harbour board met on Thursday to discuss dredging the channel, new moorings and the ferry timetable. "


def article(i: int, extra: bytes = b"") -> FetchedPage:
    body = f"<html><head><title>Harbour news {i}</title></head><body><article><p>{PARAGRAPH * 4}</p>"
    return make_page(body.encode() + extra + b"</article></body></html>", url=f"https://harbour.example/news/{i}")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A Dask scheduler and two single-threaded worker processes (restarted by their nannies when they die)."""
    # A task may see one worker die under it and run again; the second death marks it as the killer.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as cluster,
    ):
        yield cluster.scheduler_address


def as_dicts(extractions: list[Extraction]) -> list[dict[str, object]]:
    return [asdict(e) for e in extractions]


def test_the_clusters_workers_give_what_this_machine_gives(
    scheduler: str, sample_site: str, fetch: Callable[[str], FetchedPage]
) -> None:
    site_pages = [fetch(url) for url, kind in sample_urls(sample_site) if kind != "broken"]
    pages = site_pages + [article(i) for i in range(20)]
    with ClassifyPool(None, workers=1) as local:
        expected = local.classify(pages)
    with ClassifierResource().page_pool(scheduler) as pool:
        assert isinstance(pool, DaskClassifyPool)
        first = pool.classify(pages[:7])
        second = pool.classify(pages[7:])  # batch after batch on one connection
    assert as_dicts(first + second) == as_dicts(expected)
    assert {e.kind.value for e in expected} >= {"article", "image", "video"}


def test_the_workers_use_the_rules_the_pool_was_given_without_the_file(scheduler: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- processor: video\n  domains: [harbour.example]\n", encoding="utf-8")
    with DaskClassifyPool(scheduler, rules) as pool:
        rules.unlink()  # the workers get the text: a worker on another machine has no such file
        results = pool.classify([article(i) for i in range(3)])
    assert {(e.processor, e.details.get("routed_by")) for e in results} == {("video", "url_rule")}


def test_a_page_that_kills_its_workers_is_an_error_and_every_other_page_gets_its_result(scheduler: str) -> None:
    pages = [article(i, CRASH_MARKER if i == 6 else b"") for i in range(12)]
    with DaskClassifyPool(scheduler, task_pages=4, task=crashing_dask_task) as pool:
        results = pool.classify(pages)
        # the task holding the page, split into single pages (and maybe a task that was queued on a dead worker)
        assert pool.isolated >= 1
    assert results[6].status == ClassifyStatus.ERROR
    assert results[6].reason.startswith("classify worker failed: RuntimeError: the Dask workers died")
    others = [e for i, e in enumerate(results) if i != 6]
    assert [(e.status, e.title) for e in others] == [
        (ClassifyStatus.OK, f"Harbour news {i}") for i in range(12) if i != 6
    ]


def test_a_worker_killed_mid_batch_costs_only_its_task_run_again_elsewhere(scheduler: str, tmp_path: Path) -> None:
    flag = tmp_path / "crashed-once"
    marker = f"<!-- kill the first worker that reads this, then leave {flag} -->".encode()
    pages = [article(i, marker if i == 5 else b"") for i in range(16)]
    with DaskClassifyPool(scheduler, task_pages=4, task=crashing_dask_task) as pool:
        results = pool.classify(pages)
        assert pool.isolated == 0
    assert flag.exists()  # a worker really died
    assert [(e.status, e.title) for e in results] == [(ClassifyStatus.OK, f"Harbour news {i}") for i in range(16)]


def test_a_scheduler_that_cannot_be_reached_is_an_error_naming_it() -> None:
    with DaskClassifyPool("tcp://127.0.0.1:9", connect_timeout_s=2) as pool, pytest.raises(OSError) as raised:
        pool.classify([article(1)])
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:9" in str(raised.value)


def test_a_scheduler_without_workers_is_an_error_saying_so() -> None:
    with (
        LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0") as empty,
        DaskClassifyPool(empty.scheduler_address, workers_timeout_s=1) as pool,
        pytest.raises(OSError) as raised,
    ):
        pool.classify([article(1)])
    assert "has had no worker for 1 s: start workers" in str(raised.value)


def test_a_scheduler_lost_mid_batch_fails_the_batch_instead_of_marking_its_pages() -> None:
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0")
    outcome: list[BaseException | list[Extraction]] = []
    with DaskClassifyPool(cluster.scheduler_address, task_pages=1) as pool:
        pool.classify([article(0)])  # connected, the worker warm

        def classify_many() -> None:
            try:
                outcome.append(pool.classify([article(i) for i in range(1000)]))
            except BaseException as error:
                outcome.append(error)

        worker = threading.Thread(target=classify_many)
        worker.start()
        time.sleep(1.0)
        cluster.close()  # the scheduler and its worker go away with the batch half done
        worker.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], OSError), outcome
    assert f"lost the Dask scheduler at {cluster.scheduler_address}" in str(outcome[0])
