"""Read the day's URL rows from the CSV files in an inbox folder.

Rule for the partition a row belongs to: a YYYY-MM-DD in the file name names the day of all its rows; otherwise a
`date` (or `added_on`) column names the day of each row; otherwise a row belongs to the UTC day the file was
dropped (its own modification time: for a link, the link's, not its target's). A file that is not read at all
(see inbox_files.py) is one bad_file row on the day its name names, else the day it was dropped; a line that
cannot be read as cells is a malformed_row row on that same day (its date cell cannot be trusted).
"""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from content_pipeline.ingest.csv_table import MAX_CELL_CHARS, CsvRecord, CsvTable, cut_text, parse_csv
from content_pipeline.ingest.csv_text import decode_csv
from content_pipeline.ingest.inbox_files import InboxEntry, InboxFileError, list_inbox_entries, read_entry
from content_pipeline.ingest.partition_rule import DATE_COLUMNS, date_from_name, parse_day
from content_pipeline.status import IngestStatus
from content_pipeline.urls import check_url, stable_id

SOURCE = "csv"
SHOWN_DATE_CHARS = 80  # of a cell that is not a date, quoted in the row's reason


def inbox_rows(inbox: Path, day: date) -> list[dict[str, object]]:
    """All rows of all inbox files that belong to `day`, each with a status; bad files become one row each.

    Duplicates across sources are marked later, by `ingest_frame` over every source's rows."""
    rows: list[dict[str, object]] = []
    for entry in list_inbox_entries(inbox):
        name_day = date_from_name(entry.path.name)
        if name_day is not None and name_day != day:
            continue
        try:
            table = read_table(entry)
        except InboxFileError as exc:
            if file_day(entry) == day:
                rows.append(bad_file_row(entry, day, str(exc)))
            continue
        rows.extend(rows_for_day(entry, table, day))
    return rows


def read_table(entry: InboxEntry) -> CsvTable:
    """The header and records of one inbox entry; InboxFileError (naming the file) when it cannot be read."""
    return parse_csv(entry.name, decode_csv(entry.name, read_entry(entry)))


def bad_file_row(entry: InboxEntry, day: date, reason: str) -> dict[str, object]:
    return {
        "record_id": stable_id("file", entry.path.name),
        "source": SOURCE,
        "source_file": entry.name,
        "added_on": day,
        "status": IngestStatus.BAD_FILE.value,
        "reason": reason,
        "extra": "{}",
    }


def date_column(table: CsvTable) -> int | None:
    """The index of the `date` (or `added_on`) column, if the file has one."""
    lowered = [h.lower() for h in table.header]
    return next((lowered.index(c) for c in DATE_COLUMNS if c in lowered), None)


def record_day(table: CsvTable, record: CsvRecord, date_index: int | None, fallback: date) -> tuple[date, str]:
    """The day a record belongs to, and why its date cell was not used ("" when it was, or when there is none)."""
    cells = record.cells
    if record.problem or date_index is None or date_index >= len(cells) or not cells[date_index].strip():
        return fallback, ""
    parsed = parse_day(cells[date_index])
    if parsed is not None:
        return parsed, ""
    shown = cut_text(cells[date_index].strip(), SHOWN_DATE_CHARS)
    return fallback, f"'{shown}' in column '{table.header[date_index]}' is not a date"


def file_day(entry: InboxEntry) -> date:
    """The day of a file's rows when no date cell says otherwise (and of its bad_file row): the date in its name,
    else the day it was dropped."""
    return date_from_name(entry.path.name) or entry.dropped_on


def dated_records(entry: InboxEntry, table: CsvTable) -> Iterator[tuple[CsvRecord, date, str]]:
    """Each record of the file with the day it belongs to, and why its date cell was not used ("" when it was).

    A date in the file's name names the day of all its rows: their date cells are not read."""
    date_index = None if date_from_name(entry.path.name) is not None else date_column(table)
    fallback = file_day(entry)
    for record in table.records:
        row_day, date_problem = record_day(table, record, date_index, fallback)
        yield record, row_day, date_problem


def rows_for_day(entry: InboxEntry, table: CsvTable, day: date) -> list[dict[str, object]]:
    """The table's rows that belong to `day`, checked, with the user's other columns kept as JSON."""
    return [
        record_row(entry, table, record, day, date_problem)
        for record, row_day, date_problem in dated_records(entry, table)
        if row_day == day
    ]


def record_row(
    entry: InboxEntry, table: CsvTable, record: CsvRecord, day: date, date_problem: str
) -> dict[str, object]:
    """The ingest row of one record: a checked URL, or a malformed_row row that quotes the line."""
    if record.problem:
        status, reason, raw_url, url = IngestStatus.MALFORMED_ROW, record.problem, None, None
        extra: dict[str, str] = {"_line": record.text}
    else:
        raw_url = record.cells[table.url_index] if table.url_index < len(record.cells) else ""
        checked = check_url(raw_url)
        status, reason, url = checked.status, checked.reason, checked.url or None
        if date_problem and status is IngestStatus.OK:
            status, reason = IngestStatus.INVALID_DATE, date_problem
        extra = extra_columns(table.header, record.cells, table.url_index)
        reason = "; ".join(part for part in (reason, *cut_notes(table.header, record)) if part)
    if status is IngestStatus.OK:
        record_id = stable_id("url", str(url))
    else:  # the real file name, so that two names shown alike still give two ids
        record_id = stable_id("row", entry.path.name, str(record.line), str(raw_url))
    return {
        "record_id": record_id,
        "url": url,
        "input_url": raw_url,
        "source": SOURCE,
        "source_file": entry.name,
        "source_row": record.line,
        "added_on": day,
        "status": status.value,
        "reason": reason,
        "extra": json.dumps(extra, ensure_ascii=False),
    }


def extra_columns(header: list[str], cells: list[str], url_index: int) -> dict[str, str]:
    """The user's other columns of one row (cells beyond the header go under `_overflow`)."""
    extra = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if i != url_index}
    if len(cells) > len(header):
        extra["_overflow"] = cut_text(",".join(cells[len(header) :]))
    return extra


def cut_notes(header: list[str], record: CsvRecord) -> list[str]:
    """What a person reading the row needs to know about cells that were cut to MAX_CELL_CHARS."""
    notes = [
        f"the cell in column '{header[i]}' was cut to its first {MAX_CELL_CHARS:,} of {total:,} characters"
        for i, total in record.cut
        if i < len(header)
    ]
    beyond = record.cells[len(header) :]
    if any(i >= len(header) for i, _ in record.cut) or sum(map(len, beyond)) + len(beyond) - 1 > MAX_CELL_CHARS:
        notes.append(f"the cells beyond the header (_overflow) were cut to their first {MAX_CELL_CHARS:,} characters")
    return notes
