"""The first day of the daily partitions: CONTENT_PIPELINE_START_DATE, or by default the first day of the month
before the one the process started in (UTC), so the partitions cover at least the last month and the set of days
stays the same for a whole month (and within a process). No Dagster import: the command line checks days with it."""

from datetime import UTC, date, datetime

from pipeline_defs.variables import START_DATE

PROCESS_DAY = datetime.now(UTC).date()  # fixed once per process: the Definitions never change under a running process


def default_start(today: date = PROCESS_DAY) -> date:
    """The first day of the month before `today`'s."""
    first = today.replace(day=1)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def start_problem(text: str) -> str:
    """What is wrong with a start date as written ('' when nothing)."""
    try:
        start = date.fromisoformat(text)
    except ValueError:
        return f"{START_DATE}={text!r}: expected a day written YYYY-MM-DD, such as 2026-01-01"
    if start > PROCESS_DAY:
        return f"{START_DATE}={text!r}: expected a day no later than today ({PROCESS_DAY.isoformat()})"
    return ""


def start_from(text: str) -> date:
    """The start date a variable's text sets (the default when blank); ValueError saying what is wrong."""
    if not text.strip():
        return default_start()
    if problem := start_problem(text.strip()):
        raise ValueError(problem)
    return date.fromisoformat(text.strip())
