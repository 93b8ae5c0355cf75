"""Reruns with the HTTP cache: conditional requests answered 304, and the journal that lets a crashed run resume
without fetching again what it had finished. Bodies are stored and handed back byte for byte."""

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from content_pipeline.fetch.http_cache import HttpCache
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.stage import FetchOptions, fetch_stored_day
from content_pipeline.schemas import INGEST_SCHEMA, frame
from content_pipeline.warehouse.chunked_stage import StageRun
from content_pipeline.warehouse.partition_store import PartitionStore
from tests.fakes.misbehaving_site import CP1252_PAGE, LAST_MODIFIED, LATIN1_PAGE, PAGE, Site

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PARTITION = "2026-11-24"
CACHED = FetchSettings(
    allow_private=("127.0.0.1",),
    respect_robots=False,  # keeps the server's counts to the pages themselves
    max_attempts=1,
    per_host_rate=0,
    per_host_concurrency=16,
    read_timeout_s=5.0,
    total_timeout_s=10.0,
)


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "http.sqlite"


def fetch(
    site: Site, paths: list[str], cache_path: Path, partition: str | None = PARTITION, close: bool = False
) -> dict[str, FetchResult]:
    """One run, as a new process would do it: its own HttpCache on the file; `close` closes the partition after."""
    cache = HttpCache(cache_path)
    try:
        requests = [FetchRequest(path, site.url(path)) for path in paths]
        results = {r.record_id: r for r in HttpFetcher(CACHED, cache).fetch_all(requests, partition)}
        if close and partition is not None:
            cache.close_partition(partition)
        return results
    finally:
        cache.close()


def statuses(results: dict[str, FetchResult]) -> dict[str, str]:
    return {path: r.status.value for path, r in results.items()}


def test_bodies_are_stored_as_served_whatever_their_charset_claims(site: Site, cache_path: Path) -> None:
    paths = ["/cp1252/a", "/mislabeled/a", "/ok"]
    first = fetch(site, paths, cache_path)
    assert statuses(first) == dict.fromkeys(paths, "ok")
    facts = {path: (r.charset, r.charset_source) for path, r in first.items()}
    # no charset named / one the bytes do not fit: detection names it
    assert facts["/cp1252/a"][1] == facts["/mislabeled/a"][1] == "detected"
    assert first["/cp1252/a"].body == CP1252_PAGE and first["/mislabeled/a"].body == LATIN1_PAGE
    again = fetch(site, paths, cache_path)  # from the journal: the same bytes and facts come back out of SQLite
    assert {p: r.cache for p, r in again.items()} == dict.fromkeys(paths, "journal")
    assert again["/cp1252/a"].body == CP1252_PAGE and again["/mislabeled/a"].body == LATIN1_PAGE
    assert {path: (r.charset, r.charset_source) for path, r in again.items()} == facts
    assert site.log.count("/cp1252/a") == site.log.count("/mislabeled/a") == 1


def test_a_rerun_revalidates_with_conditional_requests_and_reuses_the_stored_bodies(
    site: Site, cache_path: Path
) -> None:
    paths = ["/versioned/same", "/versioned/changed", "/dated/same", "/plain/no-validators"]
    first = fetch(site, paths, cache_path, close=True)
    assert statuses(first) == dict.fromkeys(paths, "ok")
    assert all(r.cache is None and r.http_status == 200 for r in first.values())
    site.server.versions["/versioned/changed"] = "2"

    second = fetch(site, paths, cache_path, close=True)
    assert statuses(second) == dict.fromkeys(paths, "ok")
    for path in ("/versioned/same", "/dated/same"):
        assert second[path].cache == "not_modified" and second[path].http_status == 304
        assert second[path].body == first[path].body and second[path].bytes == first[path].bytes
        assert second[path].content_type == "text/html" and second[path].charset == "utf-8"
    assert site.log.seen("/versioned/same")[1].headers["if-none-match"] == '"v1"'
    assert site.log.seen("/dated/same")[1].headers["if-modified-since"] == LAST_MODIFIED

    changed = second["/versioned/changed"]
    assert site.log.seen("/versioned/changed")[1].headers["if-none-match"] == '"v1"'
    assert changed.http_status == 200 and changed.cache is None and changed.etag == '"v2"'
    assert changed.body is not None and b"v2" in changed.body and changed.body != first["/versioned/changed"].body

    no_validators = site.log.seen("/plain/no-validators")
    assert len(no_validators) == 2 and "if-none-match" not in no_validators[1].headers
    assert second["/plain/no-validators"].cache is None

    third = fetch(site, ["/versioned/changed"], cache_path, close=True)  # the new version's validator was kept
    assert site.log.seen("/versioned/changed")[2].headers["if-none-match"] == '"v2"'
    assert third["/versioned/changed"].cache == "not_modified" and third["/versioned/changed"].body == changed.body


CRASHING_RUN = """
import sys
from pathlib import Path

from content_pipeline.fetch.http_cache import HttpCache
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest
from content_pipeline.fetch.settings import FetchSettings

base_url, cache_path, partition, *paths = sys.argv[1:]
settings = FetchSettings(
    allow_private=("127.0.0.1",), respect_robots=False, max_attempts=1, per_host_rate=0, per_host_concurrency=16,
    read_timeout_s=120.0, total_timeout_s=120.0,
)
requests = [FetchRequest(path, base_url + path) for path in paths]
HttpFetcher(settings, HttpCache(Path(cache_path))).fetch_all(requests, partition)
"""


def journal_rows(cache_path: Path, partition: str) -> int:
    """Rows in the cache's journal for `partition`, read without disturbing the writer (0 before it exists)."""
    if not cache_path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True, timeout=1)) as db:
            row = db.execute("SELECT COUNT(*) FROM journal WHERE partition = ?", (partition,)).fetchone()
            return int(row[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def wait_for(what: str, condition: Callable[[], bool], process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the fetching process ended early ({process.returncode}) before {what}:\n{err.decode()}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_a_run_killed_mid_fetch_resumes_with_only_the_unfinished_urls(site: Site, cache_path: Path) -> None:
    finished = ["/versioned/a", "/versioned/b", "/dated/c", "/plain/d", "/plain/e"]  # answer at once
    unfinished = ["/hang/f", "/hang/g", "/hang/h"]  # answer only once the site is released
    paths = finished + unfinished
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_RUN, site.base_url, str(cache_path), PARTITION, *paths],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for("the requests", lambda: all(site.log.count(p) == 1 for p in paths), process)
        wait_for("the journal", lambda: journal_rows(cache_path, PARTITION) == len(finished), process)
    finally:
        process.kill()  # SIGKILL: no cleanup, as in a crash or an OOM kill
        process.communicate()
    assert process.returncode == -9
    site.release()  # from now on every page answers at once

    second = fetch(site, paths, cache_path)
    assert statuses(second) == dict.fromkeys(paths, "ok")
    for path in finished:
        assert second[path].cache == "journal" and second[path].body is not None
        assert site.log.count(path) == 1, f"{path} was requested again"
    for path in unfinished:
        assert second[path].cache is None and second[path].body == PAGE + path.encode()
        assert site.log.count(path) == 2

    cache = HttpCache(cache_path)
    cache.close_partition(PARTITION)  # the partition was stored
    cache.close()
    third = fetch(site, paths, cache_path)
    assert statuses(third) == dict.fromkeys(paths, "ok")
    assert {p: site.log.count(p) for p in paths} == {**dict.fromkeys(finished, 2), **dict.fromkeys(unfinished, 3)}
    for path in ("/versioned/a", "/versioned/b", "/dated/c"):  # asked conditionally, with what the first run kept
        assert third[path].cache == "not_modified" and third[path].body == second[path].body
    assert site.log.seen("/versioned/a")[-1].headers["if-none-match"] == '"v1"'
    for path in ("/plain/d", "/plain/e", *unfinished):  # no validators: fetched in full
        assert third[path].cache is None and third[path].http_status == 200


def test_transient_failures_are_not_kept_for_the_rerun_but_permanent_ones_are(site: Site, cache_path: Path) -> None:
    paths = ["/ok", "/flaky/1/a", "/missing/a"]
    first = fetch(site, paths, cache_path)  # and then the run "crashes": the partition is never closed
    assert statuses(first) == {"/ok": "ok", "/flaky/1/a": "http_error", "/missing/a": "http_error"}

    second = fetch(site, paths, cache_path)
    assert second["/flaky/1/a"].status.value == "ok" and second["/flaky/1/a"].cache is None
    assert site.log.count("/flaky/1/a") == 2
    assert second["/missing/a"].status.value == "http_error" and second["/missing/a"].cache == "journal"
    assert second["/ok"].status.value == "ok" and second["/ok"].cache == "journal"
    assert site.log.count("/missing/a") == site.log.count("/ok") == 1


def test_a_record_whose_url_changed_since_the_crashed_run_is_fetched_anew(site: Site, cache_path: Path) -> None:
    cache = HttpCache(cache_path)
    try:
        fetcher = HttpFetcher(CACHED, cache)
        fetcher.fetch_all([FetchRequest("rec", site.url("/plain/old")), FetchRequest("ok", site.url("/ok"))], PARTITION)
        again = fetcher.fetch_all(
            [FetchRequest("rec", site.url("/plain/new")), FetchRequest("ok", site.url("/ok"))], PARTITION
        )
    finally:
        cache.close()
    assert again[0].status.value == "ok" and again[0].cache is None and again[0].final_url == site.url("/plain/new")
    assert again[1].cache == "journal"
    assert site.log.count("/plain/new") == 1


def test_without_a_partition_nothing_is_journaled(site: Site, cache_path: Path) -> None:
    first = fetch(site, ["/plain/a", "/ok"], cache_path, partition=None)
    second = fetch(site, ["/plain/a", "/ok"], cache_path, partition=None)
    assert statuses(first) == statuses(second) == {"/plain/a": "ok", "/ok": "ok"}
    assert second["/plain/a"].cache is None and site.log.count("/plain/a") == 2
    assert second["/ok"].cache == "not_modified"  # /ok has validators; a 304 is still a request
    assert journal_rows(cache_path, PARTITION) == 0


def test_an_http_cache_that_cannot_be_written_stops_the_run_with_a_clear_error(site: Site, tmp_path: Path) -> None:
    cache = HttpCache(tmp_path / "http.sqlite")
    cache.location = tmp_path / "not-a-folder" / "http.sqlite"  # the writer opens its own connection here
    (tmp_path / "not-a-folder").write_text("a file where the cache folder should be")
    fetcher = HttpFetcher(FetchSettings(allow_private=("127.0.0.1",)), cache)
    with pytest.raises(RuntimeError, match=r"HTTP cache .* could not be written"):
        fetcher.fetch_all([FetchRequest("a", site.url("/ok"))], "2026-11-24")


def ingested_day(store: PartitionStore, site: Site, paths: list[str]) -> None:
    rows = [
        {
            "record_id": path,
            "url": site.url(path),
            "status": "ok",
            "source_file": "links.csv",
            "added_on": date(2026, 11, 24),
        }
        for path in paths
    ]
    store.write("ingest", PARTITION, frame(rows, INGEST_SCHEMA))


def fetch_day_of(store: PartitionStore, cache_path: Path) -> StageRun:
    """One run of the fetch stage over the stored ingest partition, as the asset does it (chunks of 2 rows)."""
    cache = HttpCache(cache_path)
    try:
        run = fetch_stored_day(store, PARTITION, HttpFetcher(CACHED, cache), FetchOptions(), "stamp", chunk_rows=2)
        cache.close_partition(PARTITION)
        return run
    finally:
        cache.close()


def test_a_rerun_that_fetched_the_same_content_keeps_the_stored_partition_and_a_change_rewrites_it(
    site: Site, cache_path: Path, tmp_path: Path
) -> None:
    store = PartitionStore(tmp_path / "warehouse")
    paths = ["/versioned/same", "/versioned/changed", "/dated/same", "/plain/no-validators", "/meta-charset/a"]
    ingested_day(store, site, paths)
    first = fetch_day_of(store, cache_path)
    stored_first = store.read("fetch", PARTITION)
    assert not first.unchanged and stored_first["http_status"].to_list() == [200] * len(paths)
    meta_page = stored_first.filter(pl.col("record_id") == "/meta-charset/a").row(0, named=True)
    assert (meta_page["charset"], meta_page["charset_source"]) == ("cp1252", "meta")
    written = store.path("fetch", PARTITION).stat()

    again = fetch_day_of(store, cache_path)  # every page answers 304 or the same bytes: nothing to write
    assert again.unchanged and again.committed.content_version == first.committed.content_version
    kept = store.path("fetch", PARTITION).stat()
    assert (kept.st_ino, kept.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert_frame_equal(store.read("fetch", PARTITION), stored_first)
    seen = again.committed.summary.sort("record_id")  # what this run saw, for its metadata
    assert seen.filter(pl.col("cache") == "not_modified")["record_id"].to_list() == sorted(
        set(paths) - {"/plain/no-validators"}
    )
    assert seen["body"].is_null().all() and seen["charset"].is_null().all() and len(seen) == len(paths)  # slim
    assert not (tmp_path / "warehouse" / ".staging" / "fetch" / f"date={PARTITION}").exists()

    site.server.versions["/versioned/changed"] = "2"
    changed = fetch_day_of(store, cache_path)
    assert not changed.unchanged and changed.committed.content_version != first.committed.content_version
    stored = {row["record_id"]: row for row in store.read("fetch", PARTITION).to_dicts()}
    assert b"v2" in stored["/versioned/changed"]["body"] and stored["/versioned/changed"]["http_status"] == 200
    assert stored["/versioned/same"]["cache"] == "not_modified"
    assert stored["/versioned/same"]["body"] == stored_first.filter(pl.col("record_id") == "/versioned/same")["body"][0]
    again_meta = stored["/meta-charset/a"]  # a 304 this time: described as the 200 was
    assert again_meta["cache"] == "not_modified"
    assert (again_meta["charset"], again_meta["charset_source"]) == ("cp1252", "meta")
