"""Why a day's partition came out empty: where ingest looked, how files map to days, and which days do have rows."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from content_pipeline.ingest.inbox_snapshot import scan_inbox

DAYS_SHOWN = 10  # the newest days with inbox rows that the explanation lists
DAY_RULE = (
    "a CSV row belongs to the day a YYYY-MM-DD in its file name names, else its date (or added_on) column, else the "
    "UTC day the file was dropped (its modification time); an image to a YYYY-MM-DD in its path, else its "
    "modification day (UTC)"
)


@dataclass(frozen=True)
class Sources:
    """The places ingest reads a day from."""

    inbox: Path
    image_folders: Sequence[Path]
    sheet: str = ""  # "spreadsheet <id>, worksheet <name>" when Sheets are on


def inbox_days(inbox: Path) -> tuple[list[str], int, list[str]]:
    """The days the inbox's CSV files have rows for, how many files it holds, and the files it could not look at."""
    scan = scan_inbox(inbox)
    days = sorted({day for inbox_file in scan.files for day in inbox_file.days})
    return days, len(scan.files), scan.problems


def explain_empty_day(day: str, sources: Sources) -> list[str]:
    """Lines that say where ingest looked for `day`, how files map to days, and which days the inbox does have."""
    lines = [f"nothing arrived for {day}: no inbox row, image or Sheet row belongs to that day. Looked in:"]
    if not sources.inbox.is_dir():
        lines.append(f"  the inbox {sources.inbox}: it does not exist (drop CSV files with a url column there)")
        days: list[str] = []
    else:
        days, files, problems = inbox_days(sources.inbox)
        lines.append(f"  the inbox {sources.inbox}: {files} CSV file(s)")
        lines += [f"    {problem}" for problem in problems]
    for folder in sources.image_folders:
        lines.append(f"  the image folder {folder}{'' if folder.is_dir() else ': it does not exist'}")
    if not sources.image_folders:
        lines.append(f"  no image folder ({sources.inbox / 'images'} does not exist)")
    lines.append(f"  {'the Sheet: ' + sources.sheet if sources.sheet else 'no Sheet (none configured)'}")
    lines.append(f"How files map to days: {DAY_RULE}.")
    if days:
        shown = days[-DAYS_SHOWN:]
        more = f" (and {len(days) - len(shown)} earlier)" if len(days) > len(shown) else ""
        lines.append(f"The inbox has rows for: {', '.join(shown)}{more}.")
    return lines
