"""A1 notation as the Sheets API reads it: `Sheet1`, `'My sheet'!A1:C10`, `Sheet1!A:A`, `Sheet1!1:1`, `A2:C`, `A1`.

`parse_range` splits a range into the sheet title (None: the first sheet) and 0-based bounds, with None for an open
side (`A:A` has no row bounds, `A2:C` no end row). Bounds are normalized (`B2:A1` is `A1:B2`), as Sheets does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content_pipeline.sheets.cells import column_letter as column_letters

MAX_COLUMNS = 18_278  # column ZZZ: the widest grid Sheets allows
_ENDPOINT = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]{0,7})$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]+[Cc][0-9]+|[Rr][0-9]*|[Cc][0-9]*|TRUE|FALSE|true|false)$")


class A1Error(ValueError):
    """The text is not a range in A1 notation."""


@dataclass(frozen=True)
class A1Range:
    """A range: the sheet title as written (None: the first sheet) and 0-based bounds, ends exclusive."""

    sheet: str | None
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None
    single_cell: bool = False  # written as one cell (`A1`): a write may spill beyond it

    @property
    def whole_sheet(self) -> bool:
        return self.start_row is None and self.end_row is None and self.start_col is None and self.end_col is None


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def quote_title(title: str) -> str:
    """Always quoted, as in Sheets' error messages: `'Sheet1'`."""
    return "'" + title.replace("'", "''") + "'"


def title_in_range(title: str) -> str:
    """The sheet part of a range the API answers with: quoted only when it has to be (`Sheet1`, `'My sheet'`)."""
    if _PLAIN_TITLE.match(title) and not _CELL_LIKE.match(title):
        return title
    return quote_title(title)


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


def area_name(title: str, start_row: int, start_col: int, end_row: int, end_col: int, quoted: bool = False) -> str:
    """`Sheet1!A1:C3` for 0-based bounds (ends exclusive); a single cell is `Sheet1!A1`."""
    sheet = quote_title(title) if quoted else title_in_range(title)
    first = cell_name(start_row, start_col)
    last = cell_name(max(end_row - 1, start_row), max(end_col - 1, start_col))
    return f"{sheet}!{first}" if first == last else f"{sheet}!{first}:{last}"


def _split_sheet(text: str) -> tuple[str | None, str]:
    """The sheet title (unquoted) and what follows the `!` ('' when the range is a whole sheet)."""
    if text.startswith("'"):
        i, chars = 1, []
        while i < len(text):
            char = text[i]
            if char == "'":
                if text[i + 1 : i + 2] == "'":
                    chars.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(chars), ""
                if rest.startswith("!"):
                    return "".join(chars), rest[1:]
                raise A1Error(text)
            chars.append(char)
            i += 1
        raise A1Error(text)
    if "!" in text:
        title, _, rest = text.rpartition("!")
        if not title:
            raise A1Error(text)
        return title, rest
    return None, text


def _endpoint(text: str) -> tuple[int | None, int | None]:
    """(row, col), 0-based, None for the part left out: `B3` -> (2, 1), `B` -> (None, 1), `3` -> (2, None)."""
    match = _ENDPOINT.match(text)
    if not match or not (match.group(1) or match.group(2)):
        raise A1Error(text)
    letters, digits = match.groups()
    row = int(digits) - 1 if digits else None
    col = column_index(letters) if letters else None
    if (row is not None and row < 0) or (col is not None and col >= MAX_COLUMNS):
        raise A1Error(text)
    return row, col


def _bounds(first: int | None, second: int | None) -> tuple[int | None, int | None]:
    """Start and exclusive end along one axis; an open side is None (`A2:C` has no end row)."""
    if first is not None and second is not None:
        return min(first, second), max(first, second) + 1
    if first is not None:
        return first, None
    if second is not None:
        return 0, second + 1
    return None, None


def _cells(text: str) -> tuple[int | None, int | None, int | None, int | None, bool]:
    """Bounds of the cell part (`A1`, `A1:B2`, `A:A`, `1:1`, `A2:C`): start_row, end_row, start_col, end_col."""
    first, colon, second = text.partition(":")
    row1, col1 = _endpoint(first)
    if not colon:
        if row1 is None or col1 is None:
            raise A1Error(text)  # a lone `A` or `3` is not a range
        return row1, row1 + 1, col1, col1 + 1, True
    row2, col2 = _endpoint(second)
    if (row1 is None and col2 is None) or (col1 is None and row2 is None):
        raise A1Error(text)  # `A:3` mixes a whole column with a whole row
    start_row, end_row = _bounds(row1, row2)
    start_col, end_col = _bounds(col1, col2)
    return start_row, end_row, start_col, end_col, False


def parse_range(text: str, sheet_titles: list[str] | None = None) -> A1Range:
    """Parse a range; raise A1Error when it is not one.

    Without `!` the text is a cell range of the first sheet when it reads as one (`A1:B2`, `Q1`), else a sheet title
    (`Sheet1`) — Sheets gives the cell reading precedence, which is why gspread always quotes titles.
    """
    text = text.strip()
    if not text:
        raise A1Error(text)
    sheet, cells = _split_sheet(text)
    if sheet is None:
        try:
            start_row, end_row, start_col, end_col, single = _cells(cells)
        except A1Error:
            return A1Range(sheet=cells)  # a sheet title (or a named range, which this fake does not have)
        return A1Range(None, start_row, end_row, start_col, end_col, single)
    if cells == "":
        return A1Range(sheet=sheet)
    start_row, end_row, start_col, end_col, single = _cells(cells)
    return A1Range(sheet, start_row, end_row, start_col, end_col, single)
