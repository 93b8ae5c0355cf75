"""Read the day's links from the input worksheet, stamping undated rows with the day they are first ingested."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from content_pipeline.sheets.cells import column_letter, quoted_title
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.sheet_rows import STAMP_COLUMN, SheetRow, SheetTable, read_table, rows_for_day, sheet_rows
from content_pipeline.sheets.workbook import Workbook
from content_pipeline.status import IngestStatus
from content_pipeline.urls import stable_id


@dataclass
class SheetIngest:
    records: list[dict[str, object]] = field(default_factory=list)
    stamped: int = 0  # undated rows given this day in the sheet
    problem: str = ""  # the worksheet could not be used (also a bad_file record)


def load_table(book: Workbook) -> SheetTable:
    sheet = book.worksheet(book.settings.input_worksheet)
    if sheet is None:
        wanted = book.settings.input_worksheet or "(the first worksheet)"
        raise SheetsError(f"spreadsheet {book.id!r} has no worksheet {wanted!r}: set CONTENT_PIPELINE_SHEETS_INPUT")
    return read_table(sheet.title, book.values(sheet.title), book.settings.id_column)


def read_day(book: Workbook, day: date, today: date) -> SheetIngest:
    """The input worksheet's records of `day`; on today's run, undated rows are stamped (one write) and included."""
    table = load_table(book)
    if table.problem:
        bad: dict[str, object] = {
            "record_id": stable_id("sheet", book.id, table.title),
            "source": "sheet",
            "source_file": table.title,
        }
        bad |= {"added_on": day, "status": IngestStatus.BAD_FILE.value, "reason": table.problem}
        return SheetIngest([bad], problem=table.problem)
    records, to_stamp = rows_for_day(sheet_rows(table, book.id), day, today)
    stamp(book, table, to_stamp, day)
    return SheetIngest(records, stamped=len(to_stamp))


def stamp(book: Workbook, table: SheetTable, rows: list[SheetRow], day: date) -> None:
    """Write `day` into the date column of `rows` (adding an `added_on` column when there is none)."""
    if not rows:
        return
    column = table.stamp_index
    letter = column_letter(column)
    data = [{"range": f"{quoted_title(table.title)}!{letter}{row.line}", "values": [[day.isoformat()]]} for row in rows]
    if table.date_index is None:
        sheet = book.worksheet(table.title)
        if sheet is not None:
            book.ensure_columns(sheet, column + 1)
        data.insert(0, {"range": f"{quoted_title(table.title)}!{letter}1", "values": [[STAMP_COLUMN]]})
    book.write(data)


def snapshot(book: Workbook, today: date) -> dict[str, str]:
    """A digest of each day's rows (undated rows count as today's): a sensor compares it with the last one seen."""
    table = load_table(book)
    if table.problem:
        return {}
    by_day: dict[str, list[str]] = {}
    for row in sheet_rows(table, book.id):
        key = (row.day or today).isoformat()
        by_day.setdefault(key, []).append(f"{row.record['record_id']}\t{row.record['input_url']}")
    return {day: hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()[:16] for day, items in by_day.items()}
