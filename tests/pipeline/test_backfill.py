"""A backfill over a range of days: as few runs as the policy allows, one materialization per day and asset, the
same partitions as one run per day, stable data versions; and the categorize step retried after a Gemini quota."""

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from assets.ranges import CONTENT_VERSION_KEY, MAX_DAYS_PER_RUN
from content_pipeline.categorize.gemini_provider import GeminiProvider
from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.commands import write_demo_inbox
from pipeline_defs.definitions import build_definitions
from pipeline_defs.runner import batches, days_per_run, range_keys, run_partition, run_range
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer, daily_quota_exhausted, rate_limited
from tests.pipeline.test_whole_graph import PARTITIONS, VOLATILE

DAYS = ["2026-11-20", "2026-11-21", "2026-11-22"]
DATA_VERSION_TAG = "dagster/data_version"


@dataclass
class Recorded:
    """What a set of runs recorded for one (asset, day): its materializations' metadata and data version tags."""

    metadata: list[dict[str, Any]]
    data_versions: list[str]


@dataclass
class Backfill:
    runs: int
    single_day_frames: dict[tuple[str, str], pl.DataFrame]
    single_day_versions: dict[tuple[str, str], str]
    range_frames: dict[tuple[str, str], pl.DataFrame]
    first: dict[tuple[str, str], Recorded]
    rerun: dict[tuple[str, str], Recorded]


def recorded(results: list[dg.ExecuteInProcessResult]) -> dict[tuple[str, str], Recorded]:
    out: dict[tuple[str, str], Recorded] = {}
    for result in results:
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            key = (materialization.asset_key.to_user_string(), materialization.partition or "")
            seen = out.setdefault(key, Recorded([], []))
            seen.metadata.append({name: value.value for name, value in materialization.metadata.items()})
            seen.data_versions.append((materialization.tags or {})[DATA_VERSION_TAG])
    return out


def stored(settings: Settings) -> dict[tuple[str, str], pl.DataFrame]:
    store = PartitionStore(settings.warehouse)
    return {(stage, day): store.read(stage, day).sort("record_id") for stage in PARTITIONS for day in DAYS}


@pytest.fixture(scope="module")
def backfill(tmp_path_factory: pytest.TempPathFactory, sample_site: str) -> Iterator[Backfill]:
    """Three single-day runs, then the same three days as a range, then the range again, on one warehouse."""
    home = tmp_path_factory.mktemp("backfill")
    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(home), START_DATE: TESTS_START_DATE}).allowing(
        "127.0.0.1"
    )
    for day in DAYS:
        write_demo_inbox(settings.inbox, day, sample_site)
    with dg.instance_for_test() as single_instance:
        singles = [run_partition(settings, day, single_instance, log_level="WARNING") for day in DAYS]
    assert all(r.success for r in singles)
    single_day_frames = stored(settings)
    single_day_versions = {key: seen.data_versions[0] for key, seen in recorded(singles).items()}
    with dg.instance_for_test() as instance:
        first = run_range(settings, DAYS[0], DAYS[-1], instance)
        assert all(r.success for r in first)
        range_frames = stored(settings)
        rerun = run_range(settings, DAYS[0], DAYS[-1], instance)
        assert all(r.success for r in rerun)
        yield Backfill(
            len(first), single_day_frames, single_day_versions, range_frames, recorded(first), recorded(rerun)
        )


def test_a_range_runs_in_as_few_runs_as_the_backfill_policy_allows(backfill: Backfill) -> None:
    assert backfill.runs == math.ceil(len(DAYS) / MAX_DAYS_PER_RUN) == 1


def test_thirty_days_are_cut_into_runs_of_the_policys_size(settings: Settings) -> None:
    definitions = build_definitions(settings)
    assert days_per_run(definitions) == MAX_DAYS_PER_RUN
    month = range_keys(definitions, "2026-01-01", "2026-01-30")
    assert [len(batch) for batch in batches(month, MAX_DAYS_PER_RUN)] == [10, 10, 10]
    assert [batch[0] for batch in batches(month, MAX_DAYS_PER_RUN)] == ["2026-01-01", "2026-01-11", "2026-01-21"]
    assert batches(month, None) == [month]
    for start, end, problem in [
        ("2026-01-05", "2026-01-01", "comes after"),
        ("2023-12-30", "2024-01-02", "not inside the pipeline's days"),
        ("2026-1-5", "2026-01-09", "YYYY-MM-DD"),
    ]:
        with pytest.raises(ValueError, match=problem):
            range_keys(definitions, start, end)


def test_every_asset_records_one_materialization_per_day_with_that_days_row_count(backfill: Backfill) -> None:
    rows_of = {**{stage: stage for stage in PARTITIONS}, "export_files": "export"}  # sheet_results: Sheets are off
    assert set(backfill.first) == {(stage, day) for stage in [*rows_of, "sheet_results"] for day in DAYS}
    for (stage, day), seen in backfill.first.items():
        assert len(seen.metadata) == 1, (stage, day)
        shown = seen.metadata[0]
        expected_rows = len(backfill.range_frames[(rows_of[stage], day)]) if stage in rows_of else 0
        assert shown["dagster/row_count"] == expected_rows, (stage, day)
        assert shown["days_in_run"] == len(DAYS)
        assert stage not in PARTITIONS or ("status_counts" in shown and "preview" in shown)
    ingested = {day: backfill.first[("ingest", day)].metadata[0]["files"] for day in DAYS}
    assert ingested == {day: {f"sample-site-{day}.csv": len(backfill.range_frames[("ingest", day)])} for day in DAYS}


def test_a_range_stores_the_same_partitions_as_one_run_per_day(backfill: Backfill) -> None:
    for (stage, day), single in backfill.single_day_frames.items():
        volatile = VOLATILE.get(stage, [])
        assert_frame_equal(single.drop(volatile), backfill.range_frames[(stage, day)].drop(volatile))
    added_on = {
        day: backfill.range_frames[("ingest", day)]["added_on"].cast(pl.String).unique().to_list() for day in DAYS
    }
    assert added_on == {day: [day] for day in DAYS}


def test_each_days_content_version_is_the_data_version_a_single_day_run_records(backfill: Backfill) -> None:
    for key, seen in backfill.first.items():
        assert seen.metadata[0][CONTENT_VERSION_KEY] == backfill.single_day_versions[key], key


def test_an_identical_rerun_of_the_range_keeps_every_data_version(backfill: Backfill) -> None:
    assert set(backfill.rerun) == set(backfill.first)
    for key, seen in backfill.first.items():
        again = backfill.rerun[key]
        assert again.data_versions == seen.data_versions, key
        assert again.metadata[0][CONTENT_VERSION_KEY] == seen.metadata[0][CONTENT_VERSION_KEY], key


# ---------------------------------------------------------------------------------------------------------------
# Quotas: a quota that asks to wait retries the step after the server's delay; a used-up daily quota does not.

DAY = "2026-11-24"
KEY = "secret-test-key-backfill"
SHORT_REQUEST_WAIT_S = 0.5  # what one request may wait for a quota in these tests (the provider's default is 60 s)


def run_categorize_against(
    server: FakeGeminiServer, tmp_path: Path, sample_site: str, instance: dg.DagsterInstance
) -> tuple[dg.ExecuteInProcessResult, pl.DataFrame, int]:
    env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": server.base_url}
    settings = Settings.from_env(env).allowing("127.0.0.1")
    settings.inbox.mkdir(parents=True)
    articles = [url for url, kind in sample_urls(sample_site) if kind == "article"]  # no images: no Gemini Vision
    (settings.inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(articles) + "\n", encoding="utf-8")
    result = run_partition(settings, DAY, instance, log_level="WARNING")
    return result, PartitionStore(settings.warehouse).read("categorize", DAY), len(articles)


def step_events(result: dg.ExecuteInProcessResult, step: str) -> Counter[str]:
    return Counter(e.event_type_value for e in result.all_events if e.step_key == step)


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGeminiServer]:
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    # The request-level limit on a quota's wait, shortened so that a 1 s delay already goes past it.
    defaults = GeminiProvider.__init__.__kwdefaults__
    assert defaults is not None and "retry_after_max_s" in defaults
    monkeypatch.setitem(defaults, "retry_after_max_s", SHORT_REQUEST_WAIT_S)
    category = load_taxonomy().names[0]

    def respond(request: Request) -> Reply:
        return answer({"category": category, "tags": ["t"], "summary": "A summary.", "entities": []})

    with FakeGeminiServer() as server:
        server.responder = respond
        yield server


def test_a_quota_that_asks_to_wait_retries_categorize_after_the_servers_delay(
    gemini: FakeGeminiServer, tmp_path: Path, sample_site: str, instance: dg.DagsterInstance
) -> None:
    gemini.enqueue(rate_limited(retry_delay_s=1.0))  # the first request: wait 1 s, longer than a request may
    result, categorized, articles = run_categorize_against(gemini, tmp_path, sample_site, instance)
    assert result.success
    events = step_events(result, "categorize")
    assert events["STEP_UP_FOR_RETRY"] == 1 and events["STEP_RESTARTED"] == 1 and events["STEP_SUCCESS"] == 1
    assert categorized["status"].to_list() == ["ok"] * articles  # the retry filled in every row
    retry = next(e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY")
    assert retry.step_retry_data.seconds_to_wait == 1.0
    first = gemini.requests[0].received_at
    assert any(r.received_at - first >= 1.0 for r in gemini.requests), "no request after the server's delay"
    assert len(gemini.requests) == articles + 1  # the 429, then each article once: the retry asked only the rest
    materializations = [
        e
        for e in result.get_asset_materialization_events()
        if e.step_materialization_data.materialization.asset_key == dg.AssetKey("categorize")
    ]
    assert len(materializations) == 1  # the attempt that stopped recorded nothing


def test_a_used_up_daily_quota_does_not_retry_and_its_rows_say_rerun_tomorrow(
    gemini: FakeGeminiServer, tmp_path: Path, sample_site: str, instance: dg.DagsterInstance
) -> None:
    gemini.responder = lambda request: daily_quota_exhausted()
    result, categorized, articles = run_categorize_against(gemini, tmp_path, sample_site, instance)
    assert result.success
    assert step_events(result, "categorize")["STEP_UP_FOR_RETRY"] == 0
    assert categorized["status"].to_list() == ["quota_exhausted"] * articles
    assert all("rerun this partition tomorrow" in reason for reason in categorized["reason"])
