"""Write a partition's results into the results worksheet: one row per record id, updated in place on a rerun."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from content_pipeline.sheets.cells import column_letter, quoted_title, to_cell
from content_pipeline.sheets.workbook import Workbook

RESULT_COLUMNS = (
    "record_id", "status", "reason", "added_on", "source", "url", "final_url", "kind", "category", "confidence",
    "title", "author", "published", "language", "tags", "summary", "provider", "model", "filed_path", "updated_at",
)  # fmt: skip
ID_COLUMN = "record_id"


@dataclass
class UpsertReport:
    worksheet: str
    updated: int = 0  # rows that were already there (same record id), rewritten in place
    appended: int = 0  # new rows
    truncated_cells: int = 0  # longer than a cell may hold: cut, with a marker
    neutralized_cells: int = 0  # text that looked like a formula: written with a leading quote
    duplicate_ids: int = 0  # rows of the worksheet repeating a record id (only the first is kept up to date)
    reads: int = 0
    writes: int = 0


def runs(positions: Sequence[int]) -> Iterator[tuple[int, int, list[int]]]:
    """Contiguous stretches of column positions: (first, last, indexes into `positions`)."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    start = 0
    for k in range(1, len(order) + 1):
        if k == len(order) or positions[order[k]] != positions[order[k - 1]] + 1:
            yield positions[order[start]], positions[order[k - 1]], order[start:k]
            start = k


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i : i + max(1, size)]


def upsert_results(book: Workbook, records: Sequence[Mapping[str, Any]], now: datetime) -> UpsertReport:
    """Upsert `records` by record id; columns the user added to the worksheet are left as they are."""
    title = book.settings.results_worksheet
    report = UpsertReport(title)
    reads, writes = book.reads, book.writes
    sheet = book.worksheet(title)
    existing: list[list[Any]] = []
    if sheet is None:
        sheet = book.add_worksheet(title, len(RESULT_COLUMNS))
    else:
        existing = book.values(title, as_text=True)
    header = [str(h) for h in existing[0]] if existing else []
    missing = [c for c in RESULT_COLUMNS if c not in header]
    header += missing
    book.ensure_columns(sheet, len(header))
    positions = [header.index(c) for c in RESULT_COLUMNS]
    line_of: dict[str, int] = {}
    id_at = header.index(ID_COLUMN)
    for number, cells_there in enumerate(existing[1:], start=2):
        known_id = str(cells_there[id_at]).strip() if id_at < len(cells_there) else ""
        if known_id in line_of:
            report.duplicate_ids += 1
        elif known_id:
            line_of[known_id] = number
    sheet_name = quoted_title(title)
    updates: list[list[dict[str, Any]]] = []  # the ranges of one record each
    appends: list[list[Any]] = []
    stamp = now.isoformat(timespec="seconds")
    for record in records:
        cells = []
        for column in RESULT_COLUMNS:
            value, neutralized, truncated = to_cell(stamp if column == "updated_at" else record.get(column))
            report.neutralized_cells += neutralized
            report.truncated_cells += truncated
            cells.append(value)
        line = line_of.get(str(record.get(ID_COLUMN)))
        if line is None:
            row: list[Any] = [""] * len(header)
            for i, position in enumerate(positions):
                row[position] = cells[i]
            appends.append(row)
            continue
        updates.append(
            [
                {
                    "range": f"{sheet_name}!{column_letter(first)}{line}:{column_letter(last)}{line}",
                    "values": [[cells[i] for i in members]],
                }
                for first, last, members in runs(positions)
            ]
        )
    header_range = {"range": f"{sheet_name}!A1:{column_letter(len(header) - 1)}1", "values": [header]}
    if missing:
        updates.insert(0, [header_range])
    for chunk in chunks(updates, book.settings.chunk_rows):
        book.write([data for record_ranges in chunk for data in record_ranges])
    for rows in chunks(appends, book.settings.chunk_rows):
        book.append(title, rows)
    report.updated = len(updates) - bool(missing)
    report.appended = len(appends)
    report.reads, report.writes = book.reads - reads, book.writes - writes
    return report
