"""A worksheet of links as ingest rows: which day each row belongs to, its record id and its status.

A row's day comes from a `date`, `added_on` or `timestamp` column (a date cell, or ISO text). A row without one is
stamped with the day it is first ingested (the stamp is written into the sheet), so it never lands in two days.
"""

import json
from dataclasses import dataclass, field
from datetime import date

from content_pipeline.ingest.partition_rule import parse_day
from content_pipeline.schemas import INGEST_SCHEMA
from content_pipeline.sheets.cells import cell_text, serial_day
from content_pipeline.status import IngestStatus
from content_pipeline.urls import check_url, stable_id

URL_COLUMN = "url"
SHEET_DATE_COLUMNS = ("date", "added_on", "timestamp")
STAMP_COLUMN = "added_on"  # created when the sheet has no date column
MAX_ID_CHARS = 200


@dataclass
class SheetTable:
    """One worksheet's cells as read (UNFORMATTED_VALUE, serial dates) and what the rows mean."""

    title: str
    header: list[str]
    rows: list[list[object]]  # the rows under the header; row i is sheet row i + 2
    problem: str = ""  # set when the worksheet cannot be used at all (no url column)
    url_index: int = -1
    id_index: int | None = None
    date_index: int | None = None

    @property
    def stamp_index(self) -> int:
        """The column undated rows are stamped in: the date column, or a new `added_on` after the header."""
        return self.date_index if self.date_index is not None else len(self.header)


@dataclass
class SheetRow:
    line: int  # the row's number in the sheet (the header is row 1)
    day: date | None  # None: no day yet (blank or unreadable date cell)
    date_problem: str = ""
    record: dict[str, object] = field(default_factory=dict)


def read_table(title: str, values: list[list[object]], id_column: str) -> SheetTable:
    """Find the url, id and date columns; a worksheet without a url column is a problem, not a crash."""
    header = [cell_text(c) for c in values[0]] if values else []
    lowered = [h.lower() for h in header]
    table = SheetTable(title, header, [list(r) for r in values[1:]])
    if URL_COLUMN not in lowered:
        found = ", ".join(repr(h) for h in header if h) or "(none)"
        table.problem = f"worksheet {title!r}: no '{URL_COLUMN}' column in the first row; found: {found}"
        return table
    table.url_index = lowered.index(URL_COLUMN)
    table.id_index = lowered.index(id_column.lower()) if id_column and id_column.lower() in lowered else None
    table.date_index = next((lowered.index(c) for c in SHEET_DATE_COLUMNS if c in lowered), None)
    return table


def row_day(cell: object) -> tuple[date | None, str]:
    """The day a date cell names: a serial number or ISO text; blank -> (None, ""), unreadable -> (None, why)."""
    if cell is None or cell_text(cell) == "":
        return None, ""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        day = serial_day(float(cell))
    else:
        day = parse_day(cell_text(cell))
    return (day, "") if day else (None, f"'{cell_text(cell)}' is not a date")


def sheet_rows(table: SheetTable, spreadsheet_id: str) -> list[SheetRow]:
    """Every non-blank row with its day and its ingest record (the record's added_on is filled in later)."""
    out: list[SheetRow] = []
    first_line_of_id: dict[str, int] = {}
    for offset, cells in enumerate(table.rows):
        if not any(cell_text(c) for c in cells):
            continue
        line = offset + 2
        cell = cells[table.date_index] if table.date_index is not None and table.date_index < len(cells) else None
        day, problem = row_day(cell)
        raw_url = cell_text(cells[table.url_index]) if table.url_index < len(cells) else ""
        checked = check_url(raw_url)
        own_id = cell_text(cells[table.id_index]) if table.id_index is not None and table.id_index < len(cells) else ""
        status, reason = checked.status, checked.reason
        record_id: str | None = stable_id("url", checked.url) if status is IngestStatus.OK else None
        if own_id:
            if own_id in first_line_of_id:
                status, reason = IngestStatus.DUPLICATE, f"same id {own_id!r} as sheet row {first_line_of_id[own_id]}"
                record_id = None
            else:
                first_line_of_id[own_id] = line
                record_id = own_id[:MAX_ID_CHARS]
        if problem and status is IngestStatus.OK:
            status, reason = IngestStatus.INVALID_DATE, f"{problem} (column '{table.header[table.date_index or 0]}')"
        record: dict[str, object] = {
            "record_id": record_id or stable_id("row", "sheet", spreadsheet_id, table.title, str(line), raw_url),
            "url": checked.url or None,
            "input_url": raw_url,
            "source": "sheet",
            "source_file": table.title,
            "source_row": line,
            "status": status.value,
            "reason": reason,
            "extra": json.dumps(extra_columns(table, cells), ensure_ascii=False),
        }
        out.append(SheetRow(line, day, problem, record))
    return out


def extra_columns(table: SheetTable, cells: list[object]) -> dict[str, str]:
    return {
        name or f"column_{i + 1}": cell_text(cells[i]) if i < len(cells) else ""
        for i, name in enumerate(table.header)
        if i != table.url_index
    }


def rows_for_day(rows: list[SheetRow], day: date, today: date) -> tuple[list[dict[str, object]], list[SheetRow]]:
    """The records of `day`, and the undated rows to stamp with it (only when `day` is today).

    A row whose date cell cannot be read belongs to today, with status invalid_date, until the user fixes it.
    """
    records: list[dict[str, object]] = []
    to_stamp: list[SheetRow] = []
    for row in rows:
        if row.day is None and not row.date_problem and day == today:
            to_stamp.append(row)
        if row.day == day or (row.day is None and day == today):
            records.append({**dict.fromkeys(INGEST_SCHEMA), **row.record, "added_on": day})
    return records, to_stamp
