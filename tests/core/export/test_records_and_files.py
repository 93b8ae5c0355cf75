import csv
import json
from datetime import date
from pathlib import Path

import polars as pl

from content_pipeline.export.image_filing import FilingResult
from content_pipeline.export.image_items import filed_rows, with_filing
from content_pipeline.export.records import build_records
from content_pipeline.export.writers import write_exports
from content_pipeline.quality.checks import stage_checks
from content_pipeline.schemas import CATEGORIZE_SCHEMA, CLASSIFY_SCHEMA, FETCH_SCHEMA, INGEST_SCHEMA, frame

DAY = date(2026, 11, 24)


def stages() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    ingest = frame(
        [
            {"record_id": "a", "url": "https://a.org/", "status": "ok", "reason": "", "added_on": DAY,
             "extra": json.dumps({"owner": "ann", "status": "todo"})},
            {"record_id": "b", "url": "https://b.org/", "status": "ok", "reason": "", "added_on": DAY,
             "extra": json.dumps({"owner": "=HYPERLINK(\"http://evil\")"})},
            {"record_id": "c", "url": "", "status": "empty_url", "reason": "the url cell is empty", "added_on": DAY,
             "extra": "{}"},
        ],
        INGEST_SCHEMA,
    )  # fmt: skip
    fetch = frame(
        [
            {"record_id": "a", "status": "ok", "reason": ""},
            {"record_id": "b", "status": "http_error", "reason": "HTTP 404 Not Found"},
            {"record_id": "c", "status": "skipped", "reason": "ingest status empty_url"},
        ],
        FETCH_SCHEMA,
    )
    classify = frame(
        [
            {"record_id": "a", "status": "ok", "kind": "article", "title": "-1 points", "text": "long text"},
            {"record_id": "b", "status": "skipped", "reason": "fetch status http_error"},
            {"record_id": "c", "status": "skipped", "reason": "fetch status skipped"},
        ],
        CLASSIFY_SCHEMA,
    )
    categorize = frame(
        [
            {
                "record_id": "a",
                "status": "ok",
                "category": "Sports",
                "tags": ["x", "y"],
                "tokens_in": 120,
                "tokens_out": 30,
                "cost_usd": 0.00042,
                "cache": "miss",
            },
            {"record_id": "b", "status": "skipped"},
            {"record_id": "c", "status": "skipped"},
        ],
        CATEGORIZE_SCHEMA,
    )
    return ingest, fetch, classify, categorize


def test_each_record_says_which_stage_stopped_it_and_why() -> None:
    records = build_records(*stages())
    assert records.select("record_id", "status", "reason").rows() == [
        ("a", "ok", ""),
        ("b", "fetch:http_error", "HTTP 404 Not Found"),
        ("c", "ingest:empty_url", "the url cell is empty"),
    ]


def test_files_hold_every_record_with_user_columns_and_csv_is_safe_for_spreadsheets(tmp_path: Path) -> None:
    paths = write_exports(build_records(*stages()), tmp_path, "2026-11-24")
    with paths["csv"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["record_id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["owner"] == "ann" and rows[0]["input_status"] == "todo" and rows[0]["status"] == "ok"
    assert rows[0]["tags"] == "x; y"
    assert rows[1]["owner"].startswith("'=HYPERLINK")
    assert rows[0]["title"] == "'-1 points"
    assert "text" not in rows[0]
    parquet = pl.read_parquet(paths["parquet"])
    assert parquet["text"][0] == "long text" and parquet["owner"][1] == '=HYPERLINK("http://evil")'


def test_records_carry_the_ai_tokens_cost_and_cache_of_categorize_into_the_files(tmp_path: Path) -> None:
    records = build_records(*stages())
    first = records.row(0, named=True)
    assert (first["tokens_in"], first["tokens_out"], first["cost_usd"]) == (120, 30, 0.00042)
    assert records["ai_cache"].to_list() == ["miss", None, None]
    assert "cache" not in records.columns  # fetch also has a cache: the AI one is named for what it is
    paths = write_exports(records, tmp_path, "2026-11-24")
    with paths["csv"].open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert (row["tokens_in"], row["tokens_out"], row["cost_usd"], row["ai_cache"]) == ("120", "30", "0.00042", "miss")


def test_partitions_written_before_a_column_existed_still_export() -> None:
    ingest, fetch, classify, categorize = stages()
    records = build_records(ingest.drop("path"), fetch, classify, categorize.drop("cost_usd", "cache"))
    assert records["path"].to_list() == [None] * 3
    assert records["cost_usd"].dtype == pl.Float64() and records["cost_usd"].to_list() == [None] * 3
    assert records["ai_cache"].to_list() == [None] * 3


def test_column_names_and_values_that_a_spreadsheet_would_run_are_written_as_text(tmp_path: Path) -> None:
    hostile = {'=HYPERLINK("http://x/","h")': "a", "+cmd": " =1+1", "@x": "＝SUM(A1)", "\uff0bwide": "-2", "ok": "fine"}
    ingest, fetch, classify, categorize = stages()
    ingest = ingest.with_columns(pl.lit(json.dumps(hostile)).alias("extra"))
    paths = write_exports(build_records(ingest, fetch, classify, categorize), tmp_path, "2026-11-24")
    with paths["csv"].open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
        row = next(csv.DictReader(handle, fieldnames=header))
    user_columns = header[header.index("ok") - 4 : header.index("ok") + 1]
    assert user_columns == ['\'=HYPERLINK("http://x/","h")', "'+cmd", "'@x", "'\uff0bwide", "ok"]
    assert (row["'+cmd"], row["'@x"], row["'\uff0bwide"], row["ok"]) == ("' =1+1", "'＝SUM(A1)", "'-2", "fine")
    assert pl.read_parquet(paths["parquet"])["+cmd"][0] == " =1+1"  # the parquet file keeps every value exactly


def image_stages(filed_ok: bool = True) -> pl.DataFrame:
    """One image from a folder through every stage: classified, with no text for categorize."""
    ingest = frame(
        [{"record_id": "img", "url": "file:///in/cat.jpg", "path": "/in/cat.jpg", "source": "folder", "status": "ok"}],
        INGEST_SCHEMA,
    )
    fetch = frame([{"record_id": "img", "status": "ok", "content_type": "image/jpeg"}], FETCH_SCHEMA)
    classify = frame([{"record_id": "img", "status": "ok", "kind": "image", "details": "{}"}], CLASSIFY_SCHEMA)
    categorize = frame(
        [{"record_id": "img", "status": "no_text", "reason": "no title or text to categorize (image)"}],
        CATEGORIZE_SCHEMA,
    )
    return build_records(ingest, fetch, classify, categorize)


def test_an_image_that_was_filed_is_a_success_although_it_had_no_text_to_categorize() -> None:
    filed = with_filing(image_stages(), filed_rows([FilingResult("img", "filed", "photo/cat.jpg", "", "ab12")]))
    row = filed.row(0, named=True)
    assert (row["status"], row["reason"], row["filed_status"], row["filed_path"]) == (
        "ok",
        "",
        "filed",
        "photo/cat.jpg",
    )
    assert row["categorize_status"] == "no_text"  # the stage's own verdict is still there


def test_an_image_that_could_not_be_filed_says_so_in_its_status() -> None:
    failed = with_filing(
        image_stages(), filed_rows([FilingResult("img", "error", None, "output folder is read-only", None)])
    )
    assert failed.select("status", "reason").row(0) == ("export:filing_error", "output folder is read-only")
    outcomes = {outcome.name: outcome for outcome in stage_checks("export", failed)}
    assert outcomes["known_statuses"].passed


def test_a_page_reused_after_a_304_shows_it_in_the_export() -> None:
    ingest, fetch, classify, categorize = stages()
    fetch = fetch.with_columns(http_status=pl.Series([304, 404, None]), cache=pl.Series(["not_modified", None, None]))
    records = build_records(ingest, fetch, classify, categorize)
    assert records.select("http_status", "fetch_cache").row(0) == (304, "not_modified")
    assert records["status"][0] == "ok"
