"""ClassifyPool: one set of worker processes for a whole run, batch after batch, and no page lost when one dies."""

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import polars as pl
import pytest

from content_pipeline.classify import pool as pool_module
from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.pool import ClassifyPool, classify_pool, split_tasks
from content_pipeline.classify.stage import classify_partition
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.schemas import FETCH_SCHEMA
from content_pipeline.status import ClassifyStatus
from tests.core.classify.conftest import make_page
from tests.core.classify.crashing_pages import CRASH_MARKER, crash_if_marked

Fetch = Callable[[str], FetchedPage]
REAL_TASK = pool_module._classify_task
PARAGRAPH = "The harbour board met on Thursday to discuss dredging the channel, new moorings and the ferry timetable. "


def article(i: int, extra: bytes = b"") -> FetchedPage:
    body = f"<html><head><title>Harbour news {i}</title></head><body><article><p>{PARAGRAPH * 4}</p>"
    return make_page(body.encode() + extra + b"</article></body></html>", url=f"https://harbour.example/news/{i}")


def crashing_task(pages: list[FetchedPage]) -> list[Extraction]:
    """The workers' task, except that a marked page kills the process as a crash in C code or the OOM killer would."""
    crash_if_marked(pages)
    return REAL_TASK(pages)


@pytest.fixture
def crashing_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pools started in the test hand their workers `crashing_task` instead of the plain task."""
    monkeypatch.setattr(pool_module, "_classify_task", crashing_task)


def as_dicts(extractions: list[Extraction]) -> list[dict[str, object]]:
    return [asdict(e) for e in extractions]


def test_one_pool_classifies_batch_after_batch_with_the_same_workers_and_inline_results(
    sample_site: str, fetch: Fetch
) -> None:
    site_pages = [fetch(url) for url, kind in sample_urls(sample_site) if kind != "broken"]
    batches = [site_pages + [article(i) for i in range(10)], [article(i) for i in range(10, 30)], site_pages]
    inline = Dispatcher.from_rules_file()

    with classify_pool(None, workers=2, inline_below=0) as pool:
        results = [pool.classify(batch) for batch in batches[:1]]
        workers = pool.worker_pids()
        results += [pool.classify(batch) for batch in batches[1:]]
        assert pool.worker_pids() == workers
    assert len(workers) == 2
    for batch, got in zip(batches, results, strict=True):
        assert as_dicts(got) == as_dicts([inline.classify(page) for page in batch])


def test_a_bad_rules_file_fails_when_the_pool_is_made_before_any_page_is_read(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- processor: podcast\n  domains: [radio.example]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rule 1: unknown processor 'podcast'"):
        ClassifyPool(rules, workers=2)


def test_the_workers_use_the_rules_file_the_pool_was_given(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- processor: social\n  domains: [harbour.example]\n", encoding="utf-8")
    with ClassifyPool(rules, workers=2, inline_below=0) as pool:
        results = pool.classify([article(i) for i in range(12)])
    assert {(e.kind.value, e.processor) for e in results} == {("social", "social")}


def test_a_small_batch_is_classified_in_process_without_starting_workers() -> None:
    with ClassifyPool(None, workers=2) as pool:
        results = pool.classify([article(i) for i in range(3)])
        assert not pool.started
    assert [e.status for e in results] == [ClassifyStatus.OK] * 3


@pytest.mark.usefixtures("crashing_workers")
def test_a_page_that_kills_its_worker_is_an_error_and_every_other_page_gets_its_result() -> None:
    pages = [article(i, CRASH_MARKER if i == 17 else b"") for i in range(40)]
    with ClassifyPool(None, workers=2, inline_below=0, task_pages=4) as pool:
        results = pool.classify(pages)
        after = pool.classify([article(i) for i in range(100, 110)])  # the pool still works afterwards
        assert pool.restarts >= 2  # the crash, then the crash of the page alone

    assert len(results) == len(pages)
    assert results[17].status == ClassifyStatus.ERROR
    assert results[17].reason.startswith("classify worker failed: BrokenProcessPool: ")
    assert "died while classifying this page" in results[17].reason
    others = [e for i, e in enumerate(results) if i != 17]
    assert {(e.status, e.kind.value) for e in others} == {(ClassifyStatus.OK, "article")}
    assert [e.title for e in others] == [f"Harbour news {i}" for i in range(40) if i != 17]
    assert {e.status for e in after} == {ClassifyStatus.OK}


@pytest.mark.usefixtures("crashing_workers")
def test_a_worker_killed_from_outside_mid_batch_loses_no_page(tmp_path: Path) -> None:
    flag = tmp_path / "crashed-once"
    marker = f"<!-- kill the first worker that reads this, then leave {flag} -->".encode()
    pages = [article(i, marker if i == 5 else b"") for i in range(30)]
    with ClassifyPool(None, workers=2, inline_below=0, task_pages=4) as pool:
        results = pool.classify(pages)
        assert pool.restarts == 1
    assert flag.exists()  # a worker really died
    assert [(e.status, e.title) for e in results] == [(ClassifyStatus.OK, f"Harbour news {i}") for i in range(30)]


def test_a_closed_pool_refuses_more_work() -> None:
    pool = ClassifyPool(None, workers=2)
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.classify([article(1)])


def test_a_task_carries_a_few_pages_and_a_bounded_number_of_bytes() -> None:
    sizes = [10, 10, 10, 10, 10, 500, 10, 10, 2_000, 10]
    tasks = split_tasks(len(sizes), sizes, max_pages=3, max_bytes=600)
    assert [list(t) for t in tasks] == [[0, 1, 2], [3, 4, 5], [6, 7], [8], [9]]
    assert split_tasks(0, [], max_pages=3, max_bytes=600) == []


def fetched_frame(pages: list[FetchedPage]) -> pl.DataFrame:
    """A fetch partition of these pages, plus one row whose fetch failed."""
    rows = [
        {
            "record_id": f"r{i}",
            "url": p.url,
            "final_url": p.final_url,
            "status": "ok",
            "content_type": p.content_type,
            "charset": p.charset,
            "body": p.body,
        }
        for i, p in enumerate(pages)
    ]
    rows.append({"record_id": "r-failed", "url": "https://gone.example/", "status": "http_error", "reason": "HTTP 404"})
    return pl.DataFrame([{name: row.get(name) for name in FETCH_SCHEMA} for row in rows], schema=FETCH_SCHEMA)


def test_classify_partition_gives_the_same_rows_through_a_shared_pool_chunk_by_chunk(
    sample_site: str, fetch: Fetch
) -> None:
    pages = [fetch(url) for url, kind in sample_urls(sample_site) if kind != "broken"] + [article(i) for i in range(8)]
    fetched = fetched_frame(pages)
    alone = classify_partition(fetched)

    with ClassifyPool(None, workers=2, inline_below=0) as pool:
        chunks = [classify_partition(fetched.slice(start, 5), pool=pool) for start in range(0, fetched.height, 5)]

    assert pl.concat(chunks).equals(alone)
    assert alone.filter(pl.col("record_id") == "r-failed")["status"].to_list() == ["skipped"]


def test_workers_are_replaced_by_fresh_ones_between_batches_after_recycle_pages_and_no_result_changes() -> None:
    batches = [[article(i) for i in range(start, start + 12)] for start in range(0, 48, 12)]
    inline = Dispatcher.from_rules_file()

    with classify_pool(None, workers=2, inline_below=0, recycle_pages=20) as pool:
        first = pool.classify(batches[0])  # 12 pages: the same workers go on
        workers = pool.worker_pids()
        second = pool.classify(batches[1])  # 24 pages: these workers are done, stopped after the batch
        assert not pool.started and pool.recycled == 1
        third = pool.classify(batches[2])  # fresh workers
        fresh = pool.worker_pids()
        fourth = pool.classify(batches[3])
    assert len(workers) == len(fresh) == 2 and not set(workers) & set(fresh)
    assert pool.recycled == 2 and pool.restarts == 0
    for batch, got in zip(batches, [first, second, third, fourth], strict=True):
        assert as_dicts(got) == as_dicts([inline.classify(page) for page in batch])
