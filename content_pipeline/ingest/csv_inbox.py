"""Read the day's URL rows from the CSV files in an inbox folder.

Rule for the partition a row belongs to: a YYYY-MM-DD in the file name names the day of all its rows; otherwise a
`date` (or `added_on`) column names the day of each row; otherwise a row belongs to the UTC day the file was
dropped (its modification time).
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from content_pipeline.ingest.combine import ingest_frame
from content_pipeline.ingest.partition_rule import DATE_COLUMNS, date_from_name, drop_day, parse_day
from content_pipeline.status import IngestStatus
from content_pipeline.urls import check_url, stable_id

URL_COLUMN = "url"
DELIMITERS = (",", ";", "\t")


class InboxFileError(ValueError):
    """A whole inbox file cannot be read; the message names the file and what to do."""


@dataclass
class CsvTable:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


def list_inbox_files(inbox: Path) -> list[Path]:
    """The CSV files directly inside the inbox, sorted by name (hidden and temporary files ignored)."""
    if not inbox.is_dir():
        return []
    return sorted(
        p for p in inbox.iterdir() if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith((".", "~"))
    )


def decode_csv(path: Path) -> str:
    """The file's text: UTF-8 with or without a BOM; anything else raises InboxFileError."""
    data = path.read_bytes()
    if not data.strip():
        raise InboxFileError(f"{path.name}: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InboxFileError(
            f"{path.name}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 (with or without BOM) and drop it again"
        ) from exc


def parse_csv(path: Path, text: str) -> CsvTable:
    """Parse CSV text, picking the delimiter whose header has a `url` column; raise when none has."""
    found: list[str] = []
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        if URL_COLUMN in (h.lower() for h in header):
            return CsvTable(unique_names(header), [r for r in reader if any(c.strip() for c in r)])
        if delimiter == ",":
            found = header
    raise InboxFileError(
        f"{path.name}: no '{URL_COLUMN}' column; found columns: {', '.join(repr(h) for h in found) or '(none)'}"
    )


def unique_names(header: list[str]) -> list[str]:
    """Column names made non-empty and unique (blank -> column_N, repeats -> name_2...)."""
    seen: dict[str, int] = {}
    names = []
    for i, raw in enumerate(header, start=1):
        name = raw or f"column_{i}"
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        names.append(name if count == 1 else f"{name}_{count}")
    return names


def read_inbox(inbox: Path, day: date) -> pl.DataFrame:
    """All rows of all inbox files that belong to `day`, each with a status; bad files become one row each."""
    return ingest_frame(inbox_rows(inbox, day))


def inbox_rows(inbox: Path, day: date) -> list[dict[str, object]]:
    """The rows of `read_inbox`, before duplicates across sources are marked."""
    rows: list[dict[str, object]] = []
    for path in list_inbox_files(inbox):
        name_day = date_from_name(path.name)
        if name_day is not None and name_day != day:
            continue
        try:
            table = parse_csv(path, decode_csv(path))
        except InboxFileError as exc:
            if (name_day or drop_day(path)) == day:
                rows.append(bad_file_row(path, day, str(exc)))
            continue
        rows.extend(rows_for_day(path, table, day, name_day))
    return rows


def bad_file_row(path: Path, day: date, reason: str) -> dict[str, object]:
    return {
        "record_id": stable_id("file", path.name),
        "source": "csv",
        "source_file": path.name,
        "added_on": day,
        "status": IngestStatus.BAD_FILE.value,
        "reason": reason,
    }


def rows_for_day(path: Path, table: CsvTable, day: date, name_day: date | None) -> list[dict[str, object]]:
    """The table's rows that belong to `day`, checked, with the user's other columns kept as JSON."""
    lowered = [h.lower() for h in table.header]
    url_index = lowered.index(URL_COLUMN)
    date_index = next((lowered.index(c) for c in DATE_COLUMNS if c in lowered and name_day is None), None)
    dropped_on = drop_day(path) if name_day is None else name_day
    out: list[dict[str, object]] = []
    for line_no, cells in enumerate(table.rows, start=2):
        row_day, date_problem = name_day or dropped_on, ""
        if date_index is not None and date_index < len(cells) and cells[date_index].strip():
            parsed = parse_day(cells[date_index])
            if parsed is None:
                date_problem = f"'{cells[date_index].strip()}' in column '{table.header[date_index]}' is not a date"
            row_day = parsed or dropped_on
        if row_day != day:
            continue
        raw_url = cells[url_index] if url_index < len(cells) else ""
        checked = check_url(raw_url)
        status, reason = checked.status, checked.reason
        if date_problem and status is IngestStatus.OK:
            status, reason = IngestStatus.INVALID_DATE, date_problem
        out.append(
            {
                "record_id": stable_id("url", checked.url) if status is IngestStatus.OK else None,
                "url": checked.url or None,
                "input_url": raw_url,
                "source": "csv",
                "source_file": path.name,
                "source_row": line_no,
                "added_on": day,
                "status": status.value,
                "reason": reason,
                "extra": json.dumps(extra_columns(table.header, cells, url_index), ensure_ascii=False),
            }
        )
    return out


def extra_columns(header: list[str], cells: list[str], url_index: int) -> dict[str, str]:
    """The user's other columns of one row (cells beyond the header go under `_overflow`)."""
    extra = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if i != url_index}
    if len(cells) > len(header):
        extra["_overflow"] = ",".join(cells[len(header) :])
    return extra
