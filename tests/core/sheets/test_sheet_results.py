"""Results written back to a worksheet: upserted by record id, in chunks, as raw text that never becomes a formula."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from content_pipeline.sheets.cells import MAX_CELL_CHARS
from content_pipeline.sheets.results import RESULT_COLUMNS, upsert_results
from content_pipeline.sheets.workbook import Workbook
from tests.core.sheets.conftest import SPREADSHEET
from tests.fakes.sheets_server import FakeSheetsServer, Formula

NOW = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)


def record(n: int, **changes: Any) -> dict[str, Any]:
    base = {
        "record_id": f"rec-{n}",
        "status": "ok",
        "reason": "",
        "added_on": date(2026, 11, 24),
        "url": f"https://example.org/{n}",
        "kind": "article",
        "category": "Science & Technology",
        "confidence": 0.75,
        "title": f"Title {n}",
        "tags": ["space", "probes"],
        "summary": "Short.",
        "word_count": 120,
    }
    return base | changes


def results(server: FakeSheetsServer) -> list[dict[str, object]]:
    header, *rows = server.values(SPREADSHEET, "results")
    return [dict(zip(map(str, header), row + [""] * (len(header) - len(row)), strict=True)) for row in rows]


def test_a_second_upsert_of_the_same_records_rewrites_them_in_place(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"Links": [["url"]]})
    records = [record(n) for n in range(5)]
    first = upsert_results(workbook(chunk_rows=2), records, NOW)
    assert (first.appended, first.updated) == (5, 0)
    rows = results(sheets_server)
    assert [r["record_id"] for r in rows] == [f"rec-{n}" for n in range(5)]
    assert rows[0]["tags"] == "space; probes" and rows[0]["confidence"] == 0.75 and rows[0]["added_on"] == "2026-11-24"
    assert list(rows[0]) == list(RESULT_COLUMNS)

    sheets_server.clear_requests()
    records[3] = record(3, status="fetch:http_error", reason="HTTP 404", category=None)
    second = upsert_results(workbook(chunk_rows=2), records, NOW)
    assert (second.appended, second.updated) == (0, 5)
    again = results(sheets_server)
    assert len(again) == 5
    assert again[3]["status"] == "fetch:http_error" and again[3]["category"] == ""
    assert [r for i, r in enumerate(again) if i != 3] == [r for i, r in enumerate(rows) if i != 3]
    writes = [r for r in sheets_server.requests if r.is_write]
    assert len(writes) == 3 == second.writes  # 5 records in chunks of 2: one batchUpdate per chunk, never per cell
    assert all(w.path.endswith("values:batchUpdate") and w.body and w.body["valueInputOption"] == "RAW" for w in writes)


def test_columns_the_user_added_or_moved_are_kept(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    header = ["title", "record_id", "my notes", "status"]
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"results": [header, ["old", "rec-1", "call them", "x"]]})
    report = upsert_results(workbook(), [record(1), record(2)], NOW)
    assert (report.updated, report.appended) == (1, 1)
    rows = results(sheets_server)
    assert rows[0]["my notes"] == "call them" and rows[0]["title"] == "Title 1" and rows[0]["status"] == "ok"
    assert rows[1]["record_id"] == "rec-2" and rows[1]["my notes"] == ""
    assert set(RESULT_COLUMNS) <= set(rows[0])


def test_text_that_looks_like_a_formula_is_written_as_text(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"Links": [["url"]]})
    hostile = {"title": '=HYPERLINK("http://evil.example","click")', "summary": "+1 555", "reason": "@SUM(A1)"}
    report = upsert_results(workbook(), [record(1, **hostile, author="-2+3")], NOW)
    assert report.neutralized_cells == 4
    [row] = results(sheets_server)
    assert row["title"] == "'" + hostile["title"] and row["summary"] == "'+1 555" and row["author"] == "'-2+3"
    stored = sheets_server.values(SPREADSHEET, "results")
    assert not any(isinstance(cell, Formula) for line in stored for cell in line)


def test_a_cell_over_the_sheets_limit_is_cut_with_a_marker(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"Links": [["url"]]})
    report = upsert_results(workbook(), [record(1, summary="word " * 30_000)], NOW)
    assert report.truncated_cells == 1
    [row] = results(sheets_server)
    summary = str(row["summary"])
    assert len(summary) == MAX_CELL_CHARS and summary.endswith("… [truncated: 150000 characters in all]")


def test_rows_repeating_a_record_id_are_counted_and_only_the_first_is_updated(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    rows = [list(RESULT_COLUMNS), ["rec-1", "old"], ["rec-1", "copy"]]
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"results": rows})
    report = upsert_results(workbook(), [record(1)], NOW)
    assert (report.updated, report.appended, report.duplicate_ids) == (1, 0, 1)
    assert [r["status"] for r in results(sheets_server)] == ["ok", "copy"]


def test_formulas_behind_leading_spaces_or_in_full_width_forms_are_written_as_text(
    sheets_server: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"Links": [["url"]]})
    hostile = {"title": '  =HYPERLINK("http://evil.example")', "summary": "＝1+1", "reason": "\u3000@SUM(A1)"}
    report = upsert_results(workbook(), [record(1, **hostile)], NOW)
    assert report.neutralized_cells == 3
    [row] = results(sheets_server)
    assert [row[name] for name in hostile] == ["'" + value for value in hostile.values()]
