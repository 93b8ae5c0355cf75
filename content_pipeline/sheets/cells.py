"""Values as they go into and come out of a spreadsheet cell."""

import math
from datetime import date, datetime, timedelta
from typing import Any

from content_pipeline.formula_guard import QUOTE, looks_like_formula

MAX_CELL_CHARS = 50_000  # Sheets refuses a whole request when one cell holds more
TRUNCATION_MARKER = "… [truncated: {total} characters in all]"
SERIAL_EPOCH = date(1899, 12, 30)  # day 0 of Sheets' serial dates


def column_letter(index: int) -> str:
    """A 0-based column index in A1 notation: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def quoted_title(title: str) -> str:
    """A worksheet title as the sheet part of an A1 range."""
    return "'" + title.replace("'", "''") + "'"


def safe_text(text: str) -> tuple[str, bool, bool]:
    """Text that can go into a cell: formula-looking text prefixed with a quote, and cut to the cell limit.

    Returns the text, whether it was neutralized, and whether it was truncated.
    """
    neutralized = looks_like_formula(text)
    if neutralized:
        text = QUOTE + text
    truncated = len(text) > MAX_CELL_CHARS
    if truncated:
        marker = TRUNCATION_MARKER.format(total=len(text))
        text = text[: MAX_CELL_CHARS - len(marker)] + marker
    return text, neutralized, truncated


def to_cell(value: Any) -> tuple[str | int | float | bool, bool, bool]:
    """A Python value as a cell value (lists joined with "; ", dates as ISO text), plus the safe_text flags."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "", False, False
    if isinstance(value, bool | int | float):
        return value, False, False
    if isinstance(value, datetime | date):
        return value.isoformat(), False, False
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value if v is not None)
    return safe_text(str(value))


def cell_text(value: object) -> str:
    """A cell read with UNFORMATTED_VALUE as text: whole numbers without ".0", booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def serial_day(value: float) -> date | None:
    """The day of a Sheets serial date number (days since 1899-12-30), None when out of range."""
    try:
        return SERIAL_EPOCH + timedelta(days=math.floor(value))
    except (OverflowError, ValueError):
        return None
