"""Links read from a worksheet into a day's partition: days from a date column, or stamped on first sight."""

from collections.abc import Callable
from datetime import date

import pytest

from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.source import read_day, snapshot
from content_pipeline.sheets.workbook import Workbook
from content_pipeline.urls import stable_id
from tests.core.sheets.conftest import SPREADSHEET
from tests.fakes.sheets_server import FakeSheetsServer

TODAY = date(2026, 11, 24)
YESTERDAY = date(2026, 11, 23)


def add_links(server: FakeSheetsServer, rows: list[list[object]]) -> None:
    server.add_spreadsheet(SPREADSHEET, "Team links", {"Links": rows, "Other": [["nothing"]]})


def test_rows_are_read_from_the_header_with_the_users_own_columns_kept(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    add_links(
        sheets_server,
        [
            ["URL", "Note", "added_on", "Priority"],
            ["https://example.org/a", "first", TODAY, 3],
            ["", "", "", ""],
            ["https://example.org/b", "=1+1", "2026-11-24", 1.5],
            ["https://example.org/old", "yesterday's", YESTERDAY, ""],
        ],
    )
    ingest = read_day(workbook(), TODAY, TODAY)
    assert [r["url"] for r in ingest.records] == ["https://example.org/a", "https://example.org/b"]
    first = ingest.records[0]
    assert first["record_id"] == stable_id("url", "https://example.org/a")
    assert (first["source"], first["source_file"], first["source_row"], first["status"]) == ("sheet", "Links", 2, "ok")
    assert first["added_on"] == TODAY
    assert first["extra"] == '{"Note": "first", "added_on": "46350", "Priority": "3"}'
    assert ingest.records[1]["source_row"] == 4 and '"Priority": "1.5"' in str(ingest.records[1]["extra"])
    assert ingest.stamped == 0 and sheets_server.writes() == 0
    older = read_day(workbook(), YESTERDAY, TODAY)
    assert [r["url"] for r in older.records] == ["https://example.org/old"]


def test_undated_rows_are_stamped_with_today_once_and_never_land_in_two_days(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    add_links(sheets_server, [["url", "note"], ["https://example.org/a", "x"], ["https://example.org/b", "y"]])
    assert read_day(workbook(), YESTERDAY, TODAY).records == []  # an earlier day does not claim undated rows
    assert sheets_server.writes() == 0
    ingest = read_day(workbook(), TODAY, TODAY)
    assert len(ingest.records) == 2 and ingest.stamped == 2
    [write] = [r for r in sheets_server.requests if r.is_write]
    assert write.body is not None and write.body["valueInputOption"] == "RAW"
    assert sheets_server.values(SPREADSHEET, "Links") == [
        ["url", "note", "added_on"],
        ["https://example.org/a", "x", "2026-11-24"],
        ["https://example.org/b", "y", "2026-11-24"],
    ]
    again = read_day(workbook(), TODAY, TODAY)
    assert [r["record_id"] for r in again.records] == [r["record_id"] for r in ingest.records]
    assert again.stamped == 0 and sheets_server.writes() == 1
    tomorrow = date(2026, 11, 25)
    assert read_day(workbook(), tomorrow, tomorrow).records == []


def test_a_row_id_column_gives_the_record_id_and_a_repeated_id_is_a_duplicate(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    add_links(
        sheets_server,
        [["id", "url", "date"], ["L-1", "https://example.org/a", TODAY], ["L-1", "https://example.org/b", TODAY]],
    )
    first, second = read_day(workbook(), TODAY, TODAY).records
    assert (first["record_id"], first["status"]) == ("L-1", "ok")
    assert second["status"] == "duplicate" and second["record_id"] != "L-1"
    assert "same id 'L-1' as sheet row 2" in str(second["reason"])


def test_bad_cells_become_row_statuses_not_a_failed_run(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    add_links(
        sheets_server,
        [
            ["url", "date"],
            ["javascript:alert(1)", TODAY],
            ["not a url", TODAY],
            ["https://example.org/a", "next tuesday"],
        ],
    )
    ingest = read_day(workbook(), TODAY, TODAY)
    assert [(r["status"], r["source_row"]) for r in ingest.records] == [
        ("unsupported_scheme", 2),
        ("invalid_url", 3),
        ("invalid_date", 4),
    ]
    assert "'next tuesday' is not a date" in str(ingest.records[2]["reason"])
    assert ingest.stamped == 0 and sheets_server.values(SPREADSHEET, "Links")[3][1] == "next tuesday"
    assert len({r["record_id"] for r in ingest.records}) == 3


def test_a_worksheet_without_a_url_column_is_one_bad_row_naming_what_it_found(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    add_links(sheets_server, [["link", "title"], ["https://example.org/a", "x"]])
    [bad] = read_day(workbook(), TODAY, TODAY).records
    assert bad["status"] == "bad_file"
    assert bad["reason"] == "worksheet 'Links': no 'url' column in the first row; found: 'link', 'title'"


def test_a_missing_spreadsheet_or_worksheet_stops_with_what_to_fix(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    with pytest.raises(SheetsError, match="'sheet-1' was not found: check the spreadsheet id"):
        read_day(workbook(), TODAY, TODAY)
    add_links(sheets_server, [["url"]])
    with pytest.raises(SheetsError, match="no worksheet 'Inbox'"):
        read_day(workbook(input_worksheet="Inbox"), TODAY, TODAY)
    assert read_day(workbook(input_worksheet="Other"), TODAY, TODAY).records[0]["status"] == "bad_file"


def test_the_snapshot_changes_only_for_the_day_whose_rows_changed(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    add_links(sheets_server, [["url", "date"], ["https://example.org/a", YESTERDAY], ["https://example.org/b", ""]])
    before = snapshot(workbook(), TODAY)
    assert set(before) == {"2026-11-23", "2026-11-24"}
    read_day(workbook(), TODAY, TODAY)  # stamps row 3 with today: same rows, same digest
    assert snapshot(workbook(), TODAY) == before
    sheets_server.add_spreadsheet(
        SPREADSHEET,
        "Team links",
        {
            "Links": [
                ["url", "date"],
                ["https://example.org/a", YESTERDAY],
                ["https://example.org/b", TODAY],
                ["https://example.org/c", ""],
            ]
        },
    )
    after = snapshot(workbook(), TODAY)
    assert after["2026-11-23"] == before["2026-11-23"] and after["2026-11-24"] != before["2026-11-24"]
