import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from content_pipeline.ingest.combine import ingest_frame
from content_pipeline.ingest.csv_inbox import inbox_rows

DAY = date(2026, 11, 24)


def drop(inbox: Path, name: str, content: bytes, dropped_on: date = DAY) -> Path:
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_bytes(content)
    stamp = datetime(dropped_on.year, dropped_on.month, dropped_on.day, 12, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def by_input(data: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {str(row["input_url"]): row for row in data.to_dicts()}


def test_a_csv_with_a_bom_is_read_and_its_other_columns_kept(tmp_path: Path) -> None:
    drop(tmp_path, "links.csv", "\ufeffURL,Note,Owner\nhttps://example.org/a,first,ann\n".encode())
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    assert data["status"].to_list() == ["ok"]
    assert data["url"].to_list() == ["https://example.org/a"]
    assert json.loads(data["extra"][0]) == {"Note": "first", "Owner": "ann"}


def test_bad_urls_and_duplicates_are_kept_with_a_status_and_the_good_rows_pass(tmp_path: Path) -> None:
    rows = [
        "url,n",
        "https://example.org/a,1",
        ",2",
        "/relative/page,3",
        "javascript:alert(1),4",
        "HTTPS://EXAMPLE.org/a#top,5",
        "https://example.org/b,6",
    ]
    drop(tmp_path, "links.csv", "\n".join(rows).encode())
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    status = {row["extra"]: row["status"] for row in data.to_dicts()}
    assert [status[json.dumps({"n": str(n)})] for n in range(1, 7)] == [
        "ok", "empty_url", "relative_url", "unsupported_scheme", "duplicate", "ok",
    ]  # fmt: skip
    duplicate = data.filter(pl.col("status") == "duplicate").row(0, named=True)
    first = data.filter(pl.col("url") == "https://example.org/a", pl.col("status") == "ok").row(0, named=True)
    assert duplicate["duplicate_of"] == first["record_id"]
    assert data["record_id"].n_unique() == len(data) == 6


def test_record_ids_are_stable_across_reads_and_files(tmp_path: Path) -> None:
    drop(tmp_path, "a.csv", b"url\nhttps://example.org/a\n")
    first = ingest_frame(inbox_rows(tmp_path, DAY))["record_id"].to_list()
    drop(tmp_path, "0-earlier.csv", b"url\nhttps://example.org/z\n")
    again = ingest_frame(inbox_rows(tmp_path, DAY))
    assert first[0] in again["record_id"].to_list()


def test_a_file_without_a_url_column_is_reported_by_name_with_its_columns_and_others_still_read(
    tmp_path: Path,
) -> None:
    drop(tmp_path, "wrong.csv", b"link,title\nhttps://example.org/a,x\n")
    drop(tmp_path, "right.csv", b"url\nhttps://example.org/b\n")
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    bad = data.filter(pl.col("status") == "bad_file").row(0, named=True)
    assert bad["source_file"] == "wrong.csv"
    assert bad["reason"] == "wrong.csv: no 'url' column; found columns: 'link', 'title'"
    assert data.filter(pl.col("status") == "ok")["url"].to_list() == ["https://example.org/b"]


def test_a_non_utf8_file_is_reported_and_other_files_still_read(tmp_path: Path) -> None:
    drop(tmp_path, "latin.csv", "url,name\nhttps://example.org/a,café\n".encode("latin-1"))
    drop(tmp_path, "good.csv", b"url\nhttps://example.org/b\n")
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    bad = data.filter(pl.col("status") == "bad_file").row(0, named=True)
    assert "latin.csv: not valid UTF-8" in bad["reason"] and "save it as UTF-8" in bad["reason"]
    assert data.filter(pl.col("status") == "ok")["url"].to_list() == ["https://example.org/b"]


def test_semicolon_separated_files_are_understood(tmp_path: Path) -> None:
    drop(tmp_path, "excel.csv", b"url;comment\nhttps://example.org/a;hello, world\n")
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    assert data["url"].to_list() == ["https://example.org/a"]
    assert json.loads(data["extra"][0]) == {"comment": "hello, world"}


def test_the_partition_rule_name_then_column_then_drop_day(tmp_path: Path) -> None:
    other = date(2026, 11, 20)
    drop(tmp_path, "named-2026-11-20.csv", b"url\nhttps://example.org/named\n", dropped_on=DAY)
    drop(tmp_path, "dated.csv", b"url,date\nhttps://example.org/d1,2026-11-20\nhttps://example.org/d2,\n")
    drop(tmp_path, "bad-date.csv", b"url,date\nhttps://example.org/b1,someday\n")
    drop(tmp_path, "plain.csv", b"url\nhttps://example.org/old\n", dropped_on=other)
    on_day = by_input(ingest_frame(inbox_rows(tmp_path, DAY)))
    on_other = by_input(ingest_frame(inbox_rows(tmp_path, other)))
    assert set(on_other) == {"https://example.org/named", "https://example.org/d1", "https://example.org/old"}
    assert set(on_day) == {"https://example.org/d2", "https://example.org/b1"}
    assert on_day["https://example.org/b1"]["status"] == "invalid_date"
    assert all(row["added_on"] == other for row in on_other.values())


def test_an_empty_or_missing_inbox_gives_an_empty_typed_partition(tmp_path: Path) -> None:
    data = ingest_frame(inbox_rows(tmp_path / "nothing-here", DAY))
    assert data.is_empty() and data.schema["added_on"] == pl.Date
