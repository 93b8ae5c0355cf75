"""Which daily partition an inbox file, or one of its rows, belongs to."""

import re
from datetime import date

DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
DATE_COLUMNS = ("date", "added_on")


def date_from_name(name: str) -> date | None:
    """The first valid YYYY-MM-DD found in a file name, if any."""
    for match in DATE_IN_NAME.finditer(name):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def parse_day(value: str) -> date | None:
    """A day from a cell: ISO date or ISO datetime (its date part); None when it is not one."""
    text = value.strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        return None
