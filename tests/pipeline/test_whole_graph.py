"""The whole graph for one partition against the local sample site, twice, with bad inputs beside it."""

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings

DAY = "2026-11-24"
OTHER_DAY = "2026-11-23"
STAGES = ("ingest", "fetch", "classify", "categorize", "export")  # each keeps every record
PARTITIONS = (*STAGES[:-1], "filed_images", STAGES[-1])  # the warehouse's: filed_images holds a row per image
# a rerun revalidates pages: 304, not 200
VOLATILE = {"fetch": ["fetched_at", "elapsed_ms", "http_status", "cache"], "export": ["http_status", "fetch_cache"]}


def drop_inputs(inbox: Path, base_url: str) -> list[str]:
    """The sample site's list (with a BOM), a file without a url column, a non-UTF-8 file, bad and duplicate URLs."""
    inbox.mkdir(parents=True)
    site = sample_urls(base_url)
    lines = ["url,expected_kind"] + [f"{url},{kind}" for url, kind in site]
    (inbox / f"site-{DAY}.csv").write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    bad_rows = ["url,note", ",empty", "/relative/page,relative", "javascript:alert(1),js", f"{site[0][0]},duplicate"]
    (inbox / f"urls-bad-{DAY}.csv").write_text("\n".join(bad_rows) + "\n", encoding="utf-8")
    (inbox / f"no-url-column-{DAY}.csv").write_text("link,title\nhttps://example.org/,x\n", encoding="utf-8")
    (inbox / f"latin1-{DAY}.csv").write_bytes("url,name\nhttps://example.org/,café\n".encode("latin-1"))
    (inbox / f"older-{OTHER_DAY}.csv").write_text(f"url\n{site[0][0]}\n", encoding="utf-8")
    return [url for url, _ in site]


def read_all(store: PartitionStore, day: str) -> dict[str, pl.DataFrame]:
    return {s: store.read(s, day).sort("record_id") for s in PARTITIONS}


@pytest.fixture
def first_and_second_run(
    settings: Settings, sample_site: str, instance: dg.DagsterInstance
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    drop_inputs(settings.inbox, sample_site)
    store = PartitionStore(settings.warehouse)
    assert run_partition(settings, DAY, instance).success
    first = read_all(store, DAY)
    assert run_partition(settings, DAY, instance).success
    return first, read_all(store, DAY)


def test_a_second_run_leaves_identical_results_and_no_duplicates(
    first_and_second_run: tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]],
) -> None:
    first, second = first_and_second_run
    for stage in PARTITIONS:
        volatile = VOLATILE.get(stage, [])
        assert_frame_equal(first[stage].drop(volatile), second[stage].drop(volatile))
        assert second[stage]["record_id"].is_unique().all(), stage
    assert len({len(second[stage]) for stage in STAGES}) == 1  # every stage keeps every record
    assert len(second["filed_images"]) == second["export"]["filed_status"].is_not_null().sum() > 0


def test_a_second_run_revalidates_pages_with_304s_and_keeps_the_stored_fetch_partition(
    first_and_second_run: tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]],
    instance: dg.DagsterInstance,
) -> None:
    first, second = first_and_second_run
    with_validators = first["fetch"].filter(pl.col("etag").is_not_null() & (pl.col("status") == "ok"))
    assert len(with_validators) >= 8
    # the same content came back, so the partition stored by the first run stands: bodies, timings and all
    assert_frame_equal(second["fetch"], first["fetch"])
    assert with_validators["body"].is_not_null().all()
    event = instance.get_latest_materialization_event(dg.AssetKey("fetch"))
    assert event is not None and event.asset_materialization is not None
    shown: dict[str, Any] = {key: value.value for key, value in event.asset_materialization.metadata.items()}
    assert shown["not_modified_304"] == len(with_validators)  # what the second run saw
    assert shown["unchanged_input"] is True
    assert shown["retries"] == 0 and shown["reused_from_journal"] == 0
    assert shown["bytes"] > 0 and 0 < shown["latency_p50_ms"] <= shown["latency_p95_ms"]


def test_sample_pages_get_their_kinds_and_bad_inputs_their_statuses(
    first_and_second_run: tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]], sample_site: str
) -> None:
    records = first_and_second_run[1]["export"]
    by_url = {row["url"]: row for row in records.to_dicts() if row["source_file"] == f"site-{DAY}.csv"}
    for url, expected_kind in sample_urls(sample_site):
        row = by_url[url]
        if expected_kind == "broken":
            assert (row["status"], row["http_status"]) == ("fetch:http_error", 404), url
        else:
            assert row["http_status"] in (200, 304), url
            assert row["kind"] == expected_kind, (url, row["kind"], row["reason"])
    statuses = {(r["source_file"], r["input_url"]): r["status"] for r in records.to_dicts()}
    assert statuses[(f"urls-bad-{DAY}.csv", "")] == "ingest:empty_url"
    assert statuses[(f"urls-bad-{DAY}.csv", "/relative/page")] == "ingest:relative_url"
    assert statuses[(f"urls-bad-{DAY}.csv", "javascript:alert(1)")] == "ingest:unsupported_scheme"
    assert statuses[(f"urls-bad-{DAY}.csv", sample_urls(sample_site)[0][0])] == "ingest:duplicate"
    bad_files = records.filter(pl.col("status") == "ingest:bad_file")
    assert sorted(bad_files["source_file"]) == [f"latin1-{DAY}.csv", f"no-url-column-{DAY}.csv"]
    assert f"older-{OTHER_DAY}.csv" not in records["source_file"].to_list()


def test_articles_are_categorized_inside_the_taxonomy_by_the_local_model(
    first_and_second_run: tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]],
) -> None:
    categorized = first_and_second_run[1]["categorize"].filter(pl.col("status") == "ok")
    assert len(categorized) >= 5
    assert set(categorized["category"]) <= set(load_taxonomy().names)
    assert set(categorized["provider"]) == {"local"}
    assert all(len(tags) > 0 for tags in categorized["tags"])
    german = first_and_second_run[1]["export"].filter(pl.col("language") == "de", pl.col("category").is_not_null())
    assert len(german) == 1
    assert not {"die", "der", "das", "für", "von", "aus", "und"} & {t.casefold() for t in german["tags"][0]}
    assert german["categorize_reason"][0].startswith("low confidence: the page is in 'de'")
    assert german["status"][0] == "ok"  # a mark to read with care, not a failure


def test_a_changed_uncertain_threshold_categorizes_the_day_again(
    settings: Settings, sample_site: str, instance: dg.DagsterInstance
) -> None:
    drop_inputs(settings.inbox, sample_site)
    assert run_partition(settings, DAY, instance).success
    wary = settings.changed("categorizer", local_uncertain_below=1.0)
    assert run_partition(wary, DAY, instance).success
    answered = PartitionStore(settings.warehouse).read("categorize", DAY).filter(pl.col("status") == "ok")
    below = answered.filter(pl.col("confidence") < 1.0)
    assert len(below) >= 3
    assert below["reason"].str.contains("uncertain: confidence").all()


def test_exports_and_the_catalog_cover_every_partition(
    settings: Settings, sample_site: str, instance: dg.DagsterInstance
) -> None:
    drop_inputs(settings.inbox, sample_site)
    for day in (DAY, OTHER_DAY):
        assert run_partition(settings, day, instance).success
    csv_rows = pl.read_csv(settings.output / DAY / "records.csv")
    assert len(csv_rows) == len(PartitionStore(settings.warehouse).read("ingest", DAY))
    with duckdb.connect(str(settings.catalog), read_only=True) as con:
        per_day = dict(con.sql("select date::varchar, count(*) from categorize group by 1").fetchall())
        assert set(per_day) == {DAY, OTHER_DAY}
        assert con.execute("select count(*) from export where category is not null").fetchall()[0][0] > 0
    materialized = instance.get_materialized_partitions(dg.AssetKey("export"))
    assert materialized == {DAY, OTHER_DAY}
    event = instance.get_latest_materialization_event(dg.AssetKey("categorize"))
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    row_count = metadata["dagster/row_count"].value
    day = event.asset_materialization.partition or ""
    assert isinstance(row_count, int) and row_count == len(PartitionStore(settings.warehouse).read("ingest", day))
    assert "status_counts" in metadata and "preview" in metadata
