"""A day of 300 hostile URLs through the real pipeline_job, twice: every fault is a status on its own row.

The origin (hostile_origin.py) answers with 5xx, 429s asking to wait, stalls, trickles, resets, truncated bodies,
gzip bombs, endless bodies, redirect loops, redirects to non-public addresses, wrong charsets, mislabelled types,
robots.txt rules and ETags. The fetcher may reach only the origin's own port (`127.0.0.1:<port>`), so everything
else on loopback counts as non-public; traps listen there and count every connection. The fetcher gets short
timeouts (what a user would set for a site that stalls), never a gentler origin.
"""

import faulthandler
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import polars as pl
import pytest

from pipeline_defs.settings import Settings
from tests.faults.hostile_catalog import ExpectedUrl, day_catalog
from tests.faults.hostile_day import (
    DayVerdict,
    drop_day,
    fetcher_for,
    judge_day,
    read_stages,
    run_day,
    run_failure,
)
from tests.faults.hostile_log import EarlyRetry, SeenRequest
from tests.faults.hostile_origin import RunningOrigin, serve_hostile_origin

DAY = "2026-11-24"
URLS = 300
FAST_LIMITS = {  # short timeouts for a site that stalls; no rate limit, so the day fits in a test
    "connect_timeout_s": 1.0,
    "read_timeout_s": 1.0,
    "total_timeout_s": 3.0,
    "per_host_concurrency": 16,
    "per_host_rate": 0.0,
    "backoff_initial_s": 0.2,
    "backoff_max_s": 1.0,
}
HANG_GUARD_S = 900  # both runs take about a minute; a hang dumps every thread's stack and ends the session


@dataclass
class Run:
    failure: str  # "" when the run succeeded
    stages: dict[str, pl.DataFrame]
    verdict: DayVerdict
    requests: list[SeenRequest]  # what the origin saw
    early_retries: list[EarlyRetry]  # requests that came before a Retry-After the origin had asked for
    trapped: list[SeenRequest]  # what reached a non-public address


@dataclass
class TwoRuns:
    catalog: list[ExpectedUrl]
    first: Run
    second: Run


@pytest.fixture(scope="module")
def origin() -> Iterator[RunningOrigin]:
    with serve_hostile_origin() as running:
        yield running


@pytest.fixture(scope="module")
def two_runs(origin: RunningOrigin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    """The day run twice on one home; the origin forgets between runs, so the rerun meets the same faults."""
    home = tmp_path_factory.mktemp("hostile-home")
    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(home)}).allowing(*origin.allow_entries)
    catalog = day_catalog(origin.base_urls, origin.traps, URLS)
    drop_day(settings, DAY, catalog)
    fetcher = fetcher_for(settings, **FAST_LIMITS)
    faulthandler.dump_traceback_later(HANG_GUARD_S, exit=True)
    try:
        with dg.instance_for_test() as instance:
            runs = []
            for _ in range(2):
                origin.reset()
                result = run_day(settings, DAY, instance, fetcher)
                stages = read_stages(settings, DAY)
                verdict = judge_day(catalog, stages)
                log, trapped = origin.log, origin.trap_log.requests()
                runs.append(Run(run_failure(result), stages, verdict, log.requests(), log.early_retries(), trapped))
    finally:
        faulthandler.cancel_dump_traceback_later()
    yield TwoRuns(catalog, *runs)


def test_both_runs_of_the_hostile_day_succeed(two_runs: TwoRuns) -> None:
    assert two_runs.first.failure == "", two_runs.first.failure
    assert two_runs.second.failure == "", two_runs.second.failure


def test_every_url_comes_out_once_at_every_stage(two_runs: TwoRuns) -> None:
    for run in (two_runs.first, two_runs.second):
        verdict = run.verdict
        assert verdict.rows_out == dict.fromkeys(("ingest", "fetch", "classify", "categorize", "export"), URLS)
        assert verdict.lost == [], f"{len(verdict.lost)} URLs have no export row, e.g. {verdict.lost[:5]}"
        assert verdict.duplicated == {}, f"record ids seen twice: {verdict.duplicated}"


def test_every_fault_ends_as_the_status_a_user_expects(two_runs: TwoRuns) -> None:
    verdict = two_runs.first.verdict
    assert verdict.rows_out.get("export") == URLS, two_runs.first.failure or "no export partition"
    assert verdict.mismatches == [], verdict.describe_mismatches()


def test_no_request_reaches_a_non_public_address(two_runs: TwoRuns) -> None:
    blocked = [e for e in two_runs.catalog if e.behaviour.fetch_status == "blocked"]
    assert len(blocked) >= 12  # redirects to, and URLs of, other loopback addresses and ports, ::1, 10/8, metadata...
    for run in (two_runs.first, two_runs.second):
        assert [f"{t.origin}{t.path}" for t in run.trapped] == []


def test_no_retry_comes_before_the_retry_after_the_site_asked_for(two_runs: TwoRuns) -> None:
    for run in (two_runs.first, two_runs.second):
        asked = {r.url_key for r in run.requests if r.not_before is not None}
        assert len(asked) >= 10  # 429s (seconds and HTTP-date forms) and 503s with Retry-After were answered
        assert run.early_retries == []
        retried = [r.url_key for r in run.requests if r.url_key in asked and r.not_before is None]
        assert len(retried) >= 8, "the URLs that asked to wait were not tried again"


def test_robots_txt_is_obeyed_and_disallowed_pages_are_never_requested(two_runs: TwoRuns) -> None:
    for run in (two_runs.first, two_runs.second):
        assert [r.path for r in run.requests if r.path.startswith("/private/")] == []
        assert [r.path for r in run.requests if r.path == "/robots.txt"] == ["/robots.txt"]  # once per run


def test_a_rerun_keeps_the_same_rows_and_answers_etag_pages_from_the_cache(two_runs: TwoRuns) -> None:
    for run in (two_runs.first, two_runs.second):
        assert "export" in run.stages, run.failure
    first, second = two_runs.first.stages["export"], two_runs.second.stages["export"]
    columns = ["record_id", "input_url", "status"]
    assert first.select(columns).sort("record_id").to_dicts() == second.select(columns).sort("record_id").to_dicts()
    etag_urls = {e.url for e in two_runs.catalog if e.behaviour.revalidates}
    fetched = two_runs.second.stages["fetch"].join(second.select("record_id", "input_url"), on="record_id")
    etag_rows = fetched.filter(pl.col("input_url").is_in(list(etag_urls)))
    assert len(etag_rows) == len(etag_urls) > 0
    assert etag_rows["http_status"].to_list() == [304] * len(etag_rows)
    assert etag_rows["cache"].to_list() == ["not_modified"] * len(etag_rows)
    answered_304 = [r.path for r in two_runs.second.requests if r.answer == "304"]
    assert len(answered_304) == len(etag_urls)
