"""The cells of an inbox CSV file, record by record, with every physical line accounted for.

A record starts on a physical line and usually ends on it; a quoted cell may run over several lines. A `"` that is
never closed would swallow the rest of the file into one cell, and one closed lines later would merge lines into
one record: such a record (it reaches the end of the file inside a quote, or its url cell spans lines) becomes a
malformed record for the line that opened the quote, and reading starts again on the next line. A quoted cell that
spans lines in another column (a note with a line break) stays one record.

Python's `csv` stops at `csv.field_size_limit()` characters per cell (131,072 by default). The limit is raised once,
here, to the largest file ever read (a cell cannot be longer than its file), and never lowered; cells are then cut
to MAX_CELL_CHARS with a visible marker, and the row says so.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field

from content_pipeline.ingest.csv_text import split_lines
from content_pipeline.ingest.inbox_files import MAX_INBOX_FILE_BYTES, InboxFileError

URL_COLUMN = "url"
DELIMITERS = (",", ";", "\t")
MAX_CELL_CHARS = 32_768  # a longer cell is cut (with CUT_MARKER) and its row's reason says so
MAX_COLUMN_NAME_CHARS = 256  # a longer column name is cut the same way
MAX_HEADER_CHARS = 1 << 20  # a longer first line is not a header: the file is one bad_file row
MAX_COLUMNS = 1_000  # a header with more columns: the file is one bad_file row
MAX_CELLS = 20_000_000  # separators plus lines: more and the file is one bad_file row
MAX_EXPANDED_CHARS = 512 * 1024 * 1024  # rows x column names kept with every row (`extra`): a cap on that product
REREAD_LINES_PER_LINE = 8  # after unbalanced quotes made reading start again this often, cells stop spanning lines
CUT_MARKER = " …[cut: {total:,} characters in all]"
SHOWN_COLUMNS = 20  # column names quoted in a "no url column" reason

_END = ""  # read after the last line: a record that reads it ran to the end of the file inside an open quote

csv.field_size_limit(max(csv.field_size_limit(), MAX_INBOX_FILE_BYTES))


@dataclass(slots=True)
class CsvRecord:
    """One record: its cells, or (a malformed line) why the line cannot be read as cells."""

    line: int  # the physical line it starts on (the header is line 1)
    end_line: int  # the physical line it ends on (a quoted cell can span lines)
    cells: list[str] = field(default_factory=list)  # each cut to MAX_CELL_CHARS
    cut: tuple[tuple[int, int], ...] = ()  # (column index, length before the cut) of every cut cell
    problem: str = ""  # set for a malformed line; `cells` is then empty and `text` holds the line
    text: str = ""


@dataclass
class CsvTable:
    header: list[str]
    delimiter: str
    url_index: int
    records: list[CsvRecord]


def cut_text(text: str, limit: int = MAX_CELL_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + CUT_MARKER.format(total=len(text))


def parse_csv(name: str, text: str) -> CsvTable:
    """The file's header and records; InboxFileError (naming the file) when it has no usable header or rows."""
    lines = split_lines(name, text)
    delimiter, header = read_header(name, lines[0])
    if text.count(delimiter) + len(lines) > MAX_CELLS:
        raise InboxFileError(
            f"{name}: more than {MAX_CELLS:,} cells; not read (split it into smaller files)",
        )
    url_index = [h.lower() for h in header].index(URL_COLUMN)
    records = read_records(lines, delimiter, url_index)
    if not records:
        raise InboxFileError(f"{name}: the file has a header but no rows below it; nothing to read")
    kept_per_row = sum(len(h) + 8 for h in header)
    if len(records) * kept_per_row > MAX_EXPANDED_CHARS:
        raise InboxFileError(
            f"{name}: {len(records):,} rows of {len(header):,} columns are too much to keep with every row; "
            "not read (drop the columns you do not need, or split the file)"
        )
    return CsvTable(header, delimiter, url_index, records)


def read_header(name: str, first_line: str) -> tuple[str, list[str]]:
    """The delimiter whose header (line 1) has a `url` column, and the column names; InboxFileError otherwise."""
    if len(first_line) > MAX_HEADER_CHARS:
        raise InboxFileError(
            f"{name}: line 1 has {len(first_line):,} characters, too long for a header "
            f"(at most {MAX_HEADER_CHARS:,}); not read"
        )
    found: list[str] = []
    problem = ""
    for delimiter in DELIMITERS:
        try:
            cells, ran_out = read_one_line(first_line, delimiter)
        except csv.Error as exc:
            problem = f"line 1 cannot be read as CSV ({exc})"
            continue
        names = [cut_text(cell.strip().lstrip("\ufeff").strip(), MAX_COLUMN_NAME_CHARS) for cell in cells]
        if URL_COLUMN in (n.lower() for n in names):
            if ran_out:
                problem = 'line 1: a " opens a quoted column name that is not closed on that line'
            elif len(names) > MAX_COLUMNS:
                problem = f"the header has {len(names):,} columns, more than the {MAX_COLUMNS:,} an inbox file may have"
            else:
                return delimiter, unique_names(names)
        if delimiter == ",":
            found = names
    if problem:
        raise InboxFileError(f"{name}: {problem}; not read")
    shown = ", ".join(repr(cut_text(h, 40)) for h in found[:SHOWN_COLUMNS]) or "(none)"
    more = f" and {len(found) - SHOWN_COLUMNS:,} more" if len(found) > SHOWN_COLUMNS else ""
    raise InboxFileError(f"{name}: no '{URL_COLUMN}' column; found columns: {shown}{more}")


def read_one_line(line: str, delimiter: str) -> tuple[list[str], bool]:
    """The cells of one physical line, and whether a quoted cell is still open at its end."""
    reader = csv.reader([line, _END], delimiter=delimiter)
    cells = next(reader, [])
    return cells, reader.line_num > 1


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


def read_records(lines: list[str], delimiter: str, url_index: int) -> list[CsvRecord]:
    """The records below the header; blank ones (only separators and spaces) are left out."""
    records: list[CsvRecord] = []
    source = [*lines, _END]
    position, reread_budget = 1, REREAD_LINES_PER_LINE * len(lines)
    while position < len(lines):
        if reread_budget < 0:  # a file built to make every line start again: cells no longer span lines
            records.extend(one_line_records(lines, position, delimiter, url_index))
            break
        position, reread = read_until_malformed(source, position, delimiter, url_index, records)
        reread_budget -= reread
    return records


def read_until_malformed(
    source: list[str], start: int, delimiter: str, url_index: int, records: list[CsvRecord]
) -> tuple[int, int]:
    """Append the records from line index `start` up to the first malformed one.

    Returns the line index to start again on, and how many lines past it were read already (they are read again).
    """
    end = len(source) - 1  # the index of _END
    reader = csv.reader(map(source.__getitem__, range(start, len(source))), delimiter=delimiter)  # O(1) to start
    first = start
    try:
        for cells in reader:
            if first == end:
                break
            last = start + reader.line_num - 1
            problem = quote_problem(first, last, end, cells, url_index)
            if problem:
                records.append(malformed(source, first, problem))
                return first + 1, last - first
            if is_filled(cells):
                records.append(record(first, last, cells))
            first = last + 1
    except csv.Error as exc:
        records.append(malformed(source, first, f"line {first + 1} cannot be read as CSV ({exc})"))
        return first + 1, start + reader.line_num - 1 - first
    return end, 0


def one_line_records(lines: list[str], position: int, delimiter: str, url_index: int) -> Iterator[CsvRecord]:
    """The records from `position` on, each read from its own line alone."""
    for index in range(position, len(lines)):
        try:
            cells, ran_out = read_one_line(lines[index], delimiter)
        except csv.Error as exc:
            yield malformed(lines, index, f"line {index + 1} cannot be read as CSV ({exc})")
            continue
        if ran_out:
            problem = (
                f'line {index + 1}: a " opens a quoted cell that is not closed on that line '
                "(this file has too many unbalanced quotes to follow cells across lines)"
            )
            yield malformed(lines, index, problem)
        elif is_filled(cells):
            yield record(index, index, cells)


def is_filled(cells: list[str]) -> bool:
    """Whether a record holds anything but spaces (a blank line, or only separators, is left out)."""
    return bool("".join(cells).strip())


def quote_problem(first: int, last: int, end: int, cells: list[str], url_index: int) -> str:
    """Why a record cannot be trusted ("" when it can): an open quote at the end of the file, or a url over lines."""
    if last >= end:
        return f'line {first + 1}: a " opens a quoted cell that is never closed'
    if last > first and url_index < len(cells) and ("\n" in cells[url_index] or "\r" in cells[url_index]):
        return f'line {first + 1}: a " opens a quoted cell that runs on to line {last + 1}; a url cannot span lines'
    return ""


def record(first: int, last: int, cells: list[str]) -> CsvRecord:
    if max(map(len, cells), default=0) <= MAX_CELL_CHARS:
        return CsvRecord(first + 1, last + 1, cells)
    cut = tuple((i, len(cell)) for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS)
    return CsvRecord(first + 1, last + 1, [cut_text(cell) for cell in cells], cut)


def malformed(lines: list[str], index: int, problem: str) -> CsvRecord:
    return CsvRecord(index + 1, index + 1, problem=problem, text=cut_text(lines[index].rstrip("\r\n")))
