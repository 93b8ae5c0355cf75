"""Hostile inbox files: huge cells, odd names, unbalanced quotes, links, FIFOs. No file sinks the day."""

import functools
import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import polars as pl
import pytest

from content_pipeline.ingest.combine import ingest_frame
from content_pipeline.ingest.csv_inbox import inbox_rows
from content_pipeline.ingest.csv_table import MAX_CELL_CHARS, MAX_COLUMNS
from content_pipeline.ingest.csv_text import MAX_INBOX_LINES
from content_pipeline.ingest.entry_checks import utc_day
from content_pipeline.ingest.file_names import display_name
from content_pipeline.ingest.inbox_files import MAX_INBOX_FILE_BYTES
from content_pipeline.ingest.inbox_snapshot import plan_inbox_runs, scan_inbox
from content_pipeline.schemas import INGEST_SCHEMA

DAY = date(2026, 11, 24)
OTHER_DAY = date(2026, 11, 20)
HANG_GUARD_S = 60
T = TypeVar("T")
SECRET = "root:x:0:0:SECRET-MARKER"


def stamp_of(day: date) -> float:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


def drop(inbox: Path, name: str | bytes, content: bytes, dropped_on: date = DAY) -> Path:
    """Write a file into the inbox (a bytes name may be any bytes) dropped at noon UTC on `dropped_on`."""
    inbox.mkdir(exist_ok=True)
    path = Path(os.fsdecode(os.path.join(os.fsencode(inbox), os.fsencode(name))))
    path.write_bytes(content)
    os.utime(path, (stamp_of(dropped_on), stamp_of(dropped_on)))
    return path


def dated(path: Path, day: date) -> Path:
    """Give an entry (a link itself, not its target) a modification time on `day`."""
    os.utime(path, (stamp_of(day), stamp_of(day)), follow_symlinks=False)
    return path


def rows_of(data: pl.DataFrame, name: str) -> list[dict[str, object]]:
    return data.filter(pl.col("source_file") == name).sort("source_row").to_dicts()


def test_a_cell_over_the_csv_field_limit_is_cut_and_the_other_rows_come_in(tmp_path: Path) -> None:
    note = "n" * 200_000  # over Python csv's default limit of 131,072 characters
    drop(tmp_path, "long.csv", f"url,note\nhttps://example.org/a,{note}\nhttps://example.org/b,short\n".encode())
    drop(tmp_path, "other.csv", b"url\nhttps://example.org/c\n")
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    first, second = rows_of(data, "long.csv")
    assert (first["status"], second["status"]) == ("ok", "ok")
    assert first["reason"] == f"the cell in column 'note' was cut to its first {MAX_CELL_CHARS:,} of 200,000 characters"
    kept = json.loads(str(first["extra"]))["note"]
    assert kept.startswith("n" * MAX_CELL_CHARS) and kept.endswith("[cut: 200,000 characters in all]")
    assert len(kept) < MAX_CELL_CHARS + 100
    assert json.loads(str(second["extra"])) == {"note": "short"}
    assert rows_of(data, "other.csv")[0]["status"] == "ok"


def test_a_huge_cell_in_a_file_without_a_date_leaves_every_other_day_and_the_sensor_working(tmp_path: Path) -> None:
    drop(tmp_path, "long.csv", b"url,note\nhttps://example.org/a," + b"x" * 300_000 + b"\n")
    assert ingest_frame(inbox_rows(tmp_path, OTHER_DAY)).is_empty()
    assert [run.day for run in plan_inbox_runs(tmp_path, None).runs] == [DAY.isoformat()]


def test_a_url_cell_over_the_limit_is_an_invalid_url_whose_reason_says_it_was_cut(tmp_path: Path) -> None:
    drop(tmp_path, "long-url.csv", b"url\nhttps://example.org/" + b"a" * 150_000 + b"\nhttps://example.org/b\n")
    first, second = rows_of(ingest_frame(inbox_rows(tmp_path, DAY)), "long-url.csv")
    assert first["status"] == "invalid_url"
    assert str(first["reason"]).startswith("longer than 8192 characters; the cell in column 'url' was cut")
    assert len(str(first["input_url"])) < MAX_CELL_CHARS + 100
    assert second["status"] == "ok"


def test_a_file_name_that_is_not_utf8_is_one_bad_file_row_naming_it_escaped_and_the_day_goes_on(
    tmp_path: Path,
) -> None:
    drop(tmp_path, b"links-\xff\xfe.csv", b"url\nhttps://example.org/a\n")
    drop(tmp_path, "good.csv", b"url\nhttps://example.org/b\n")
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    bad = data.filter(pl.col("status") == "bad_file").row(0, named=True)
    assert bad["source_file"] == "links-\\xff\\xfe.csv"
    assert bad["reason"].startswith("links-\\xff\\xfe.csv: the file name is not valid UTF-8; rename it")
    assert data.filter(pl.col("status") == "ok")["url"].to_list() == ["https://example.org/b"]
    data.write_parquet(tmp_path / "day.parquet")  # no column holds a lone surrogate: the partition can be stored


def test_a_name_with_a_line_break_is_read_and_shown_escaped(tmp_path: Path) -> None:
    drop(tmp_path, "two\nlines.csv", b"url\nhttps://example.org/a\n")
    assert ingest_frame(inbox_rows(tmp_path, DAY))["source_file"].to_list() == ["two\\x0alines.csv"]


def test_an_unclosed_quote_is_a_malformed_row_for_its_line_and_the_lines_after_it_are_rows(tmp_path: Path) -> None:
    lines = ["url,n", "https://example.org/1,1", '"https://example.org/2,2', "https://example.org/3,3"]
    drop(tmp_path, "quote.csv", ("\n".join([*lines, "https://example.org/4,4"]) + "\n").encode())
    rows = rows_of(ingest_frame(inbox_rows(tmp_path, DAY)), "quote.csv")
    assert [(r["source_row"], r["status"]) for r in rows] == [
        (2, "ok"), (3, "malformed_row"), (4, "ok"), (5, "ok"),
    ]  # fmt: skip
    assert rows[1]["reason"] == 'line 3: a " opens a quoted cell that is never closed'
    assert json.loads(str(rows[1]["extra"])) == {"_line": '"https://example.org/2,2'}
    assert [r["input_url"] for r in rows[2:]] == ["https://example.org/3", "https://example.org/4"]


def test_a_quote_in_the_url_column_closed_lines_later_does_not_swallow_those_lines(tmp_path: Path) -> None:
    text = (
        'url,n\n"https://example.org/1,1\nhttps://example.org/2,2\nhttps://example.org/3",3\nhttps://example.org/4,4\n'
    )
    drop(tmp_path, "merged.csv", text.encode())
    rows = rows_of(ingest_frame(inbox_rows(tmp_path, DAY)), "merged.csv")
    assert [r["source_row"] for r in rows] == [2, 3, 4, 5]  # every line accounted for, each on its own row
    assert [r["status"] for r in rows if r["source_row"] != 4] == ["malformed_row", "ok", "ok"]
    assert rows[2]["input_url"] == 'https://example.org/3"'  # the closing quote is just a character there
    assert rows[0]["reason"] == 'line 2: a " opens a quoted cell that runs on to line 4; a url cannot span lines'


def test_a_quoted_note_over_several_lines_stays_one_row_counted_from_its_first_line(tmp_path: Path) -> None:
    text = 'url,note\n\nhttps://example.org/a,"first\nsecond"\n\nhttps://example.org/b,plain\n'
    drop(tmp_path, "notes.csv", text.encode())
    rows = rows_of(ingest_frame(inbox_rows(tmp_path, DAY)), "notes.csv")
    assert [(r["source_row"], r["status"]) for r in rows] == [(3, "ok"), (6, "ok")]  # physical lines, blanks skipped
    assert json.loads(str(rows[0]["extra"])) == {"note": "first\nsecond"}


def test_a_link_out_of_the_inbox_is_refused_and_nothing_of_its_target_is_shown(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "passwd"
    secret.parent.mkdir()
    secret.write_text(f"{SECRET}\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "passwd.csv").symlink_to(secret)
    dated(inbox / "passwd.csv", DAY)
    data = ingest_frame(inbox_rows(inbox, DAY))
    [row] = data.to_dicts()
    assert (row["source_file"], row["status"]) == ("passwd.csv", "bad_file")
    assert (
        row["reason"]
        == "passwd.csv: a link that leads out of the inbox; not followed (put a copy of the file there instead)"
    )
    everything = json.dumps(data.to_dicts(), default=str)
    assert "SECRET-MARKER" not in everything and str(secret) not in everything and "elsewhere" not in everything


def test_a_link_to_another_file_inside_the_inbox_is_read(tmp_path: Path) -> None:
    drop(tmp_path, "real.csv", b"url\nhttps://example.org/a\n", dropped_on=OTHER_DAY)
    (tmp_path / "alias.csv").symlink_to(tmp_path / "real.csv")
    dated(tmp_path / "alias.csv", DAY)  # a link belongs to the day it was made, not to its target's day
    rows = ingest_frame(inbox_rows(tmp_path, DAY)).to_dicts()
    assert [(r["source_file"], r["status"], r["url"]) for r in rows] == [("alias.csv", "ok", "https://example.org/a")]


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("pipe.csv", os.mkfifo, "pipe.csv: a named pipe (FIFO), not a file; not read"),
        ("folder.csv", lambda path: path.mkdir(), "folder.csv: a folder, not a file; not read"),
        ("loop.csv", lambda path: path.symlink_to(path), "loop.csv: a link that loops back on itself; not followed"),
        (
            "dangling.csv",
            lambda path: path.symlink_to(path.parent / "gone.csv"),
            "dangling.csv: a link to nothing (its target does not exist); not followed",
        ),
        (
            "to-folder.csv",
            lambda path: path.symlink_to(path.parent / "sub", target_is_directory=True),
            "to-folder.csv: a link to a folder, not to a file; not read",
        ),
    ],
)
def test_what_is_not_a_file_is_one_bad_file_row_on_the_day_of_its_own_mtime(
    tmp_path: Path, name: str, make: Callable[[Path], object], reason: str
) -> None:
    (tmp_path / "sub").mkdir()
    make(tmp_path / name)
    dated(tmp_path / name, OTHER_DAY)
    drop(tmp_path, "good.csv", b"url\nhttps://example.org/a\n", dropped_on=OTHER_DAY)
    rows = finished(lambda: ingest_frame(inbox_rows(tmp_path, OTHER_DAY))).to_dicts()
    assert sorted((r["source_file"], r["status"], r["reason"]) for r in rows) == sorted(
        [(name, "bad_file", reason), ("good.csv", "ok", "")]
    )
    assert finished(lambda: ingest_frame(inbox_rows(tmp_path, DAY))).is_empty()


def test_a_file_over_the_size_limit_is_one_bad_file_row_and_is_not_read(tmp_path: Path) -> None:
    path = drop(tmp_path, "huge-2026-11-24.csv", b"url\n")
    with path.open("r+b") as handle:
        handle.truncate(MAX_INBOX_FILE_BYTES + 1)  # sparse: takes no room on disk
    [row] = ingest_frame(inbox_rows(tmp_path, DAY)).to_dicts()
    assert row["status"] == "bad_file"
    assert row["reason"] == (
        f"huge-2026-11-24.csv: {MAX_INBOX_FILE_BYTES + 1:,} bytes, more than the 256 MiB an inbox file may have; "
        "not read (split it into smaller files)"
    )


def test_a_file_with_more_lines_than_the_limit_is_one_bad_file_row(tmp_path: Path) -> None:
    drop(tmp_path, "tall.csv", b"url\n" + b"https://example.org/a\n" * MAX_INBOX_LINES)
    [row] = ingest_frame(inbox_rows(tmp_path, DAY)).to_dicts()
    assert row["status"] == "bad_file"
    assert row["reason"].startswith(f"tall.csv: {MAX_INBOX_LINES + 1:,} lines, more than the {MAX_INBOX_LINES:,}")


def test_a_header_with_too_many_columns_is_one_bad_file_row(tmp_path: Path) -> None:
    header = ",".join(["url", *(f"c{i}" for i in range(MAX_COLUMNS))])
    drop(tmp_path, "wide.csv", f"{header}\nhttps://example.org/a\n".encode())
    [row] = ingest_frame(inbox_rows(tmp_path, DAY)).to_dicts()
    assert row["status"] == "bad_file"
    assert f"the header has {MAX_COLUMNS + 1:,} columns, more than the {MAX_COLUMNS:,}" in row["reason"]


def test_a_bad_byte_after_a_bom_is_named_with_its_offset_in_the_file_and_its_line(tmp_path: Path) -> None:
    drop(tmp_path, "bom.csv", b"\xef\xbb\xbfurl,name\nhttps://example.org/a,caf\xe9\n")
    [row] = ingest_frame(inbox_rows(tmp_path, DAY)).to_dicts()
    assert row["reason"] == (  # 3 bytes of BOM + 9 of the header + 22 + "caf": the bad byte is byte 37
        "bom.csv: not valid UTF-8 (byte 0xe9 at offset 37, line 2); save it as UTF-8 (with or without BOM) and "
        "drop it again"
    )


def test_a_file_with_a_header_and_no_rows_says_so_in_a_bad_file_row(tmp_path: Path) -> None:
    drop(tmp_path, "empty-rows.csv", b"url,note\n\n , \n")
    [row] = ingest_frame(inbox_rows(tmp_path, DAY)).to_dicts()
    assert (row["status"], row["reason"]) == (
        "bad_file",
        "empty-rows.csv: the file has a header but no rows below it; nothing to read",
    )


def finished(work: Callable[[], T]) -> T:
    """Run `work` in a thread and return its result; fail (rather than hang the suite) if it never returns."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), "hung (did something open a FIFO?)"
    return result[0]


def test_the_sensor_agrees_with_ingest_on_hostile_files_and_never_opens_a_fifo(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "long.csv", b"url,note,date\nhttps://example.org/a," + b"x" * 200_000 + b",2026-11-21\n")
    drop(inbox, "quote.csv", b'url,date\nhttps://example.org/b,2026-11-22\n"https://example.org/c,2026-11-23\n')
    drop(inbox, b"bad-\xff.csv", b"url\nhttps://example.org/d\n")
    drop(inbox, "header-only.csv", b"url\n", dropped_on=OTHER_DAY)
    drop(inbox, "bad-bytes-2026-11-19.csv", b"url\n\xff\n")
    os.mkfifo(inbox / "pipe.csv")
    dated(inbox / "pipe.csv", OTHER_DAY)
    (inbox / "out.csv").symlink_to(tmp_path)
    dated(inbox / "out.csv", date(2026, 11, 18))
    files = finished(lambda: scan_inbox(inbox)).files
    sensor_days = {f.name: set(f.days) for f in files}
    ingest_days: dict[str, set[str]] = {}
    for offset in range(15, 26):
        on = date(2026, 11, offset)
        for row in finished(functools.partial(inbox_rows, inbox, on)):
            ingest_days.setdefault(str(row["source_file"]), set()).add(on.isoformat())
    assert {display_name(name): days for name, days in sensor_days.items()} == {
        "long.csv": {"2026-11-21"},
        "quote.csv": {"2026-11-22", "2026-11-24"},  # the malformed line goes to the day the file was dropped
        "bad-\\xff.csv": {"2026-11-24"},
        "header-only.csv": {"2026-11-20"},
        "bad-bytes-2026-11-19.csv": {"2026-11-19"},
        "pipe.csv": {"2026-11-20"},
        "out.csv": {"2026-11-18"},
    }
    assert ingest_days == {display_name(name): days for name, days in sensor_days.items()}


def test_every_hostile_day_fits_the_ingest_schema(tmp_path: Path) -> None:
    drop(tmp_path, b"x-\xfe.csv", b"url\n")
    drop(tmp_path, "q.csv", b'url\n"https://example.org/a\n')
    data = ingest_frame(inbox_rows(tmp_path, DAY))
    assert dict(data.schema) == INGEST_SCHEMA
    assert data["record_id"].n_unique() == len(data) == 2


def test_a_modification_time_out_of_any_calendar_gives_the_first_or_last_day_not_a_crash() -> None:
    assert (utc_day(1e20), utc_day(-1e20), utc_day(0)) == (date.max, date.min, date(1970, 1, 1))
