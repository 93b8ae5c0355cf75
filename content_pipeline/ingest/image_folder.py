"""Ingest rows for the image files found in the configured image folders.

Rule for the partition a file belongs to: a YYYY-MM-DD in its path below the folder (a `2026-11-24/` subfolder or
`cat-2026-11-24.png`) names its day; otherwise it belongs to the UTC day of its modification time.
Hidden files and folders (names starting with "." or "~") are ignored; links are never followed out of the folder,
and linked folders are not descended into.
"""

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from content_pipeline.ingest.partition_rule import date_from_name, drop_day
from content_pipeline.status import IngestStatus
from content_pipeline.urls import stable_id

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})
HIDDEN_PREFIXES = (".", "~")
SOURCE = "folder"


def image_folder_rows(folders: Sequence[Path], day: date) -> list[dict[str, object]]:
    """One ingest row per image file of `day` in the folders (sorted); a missing folder becomes a bad_file row."""
    rows: list[dict[str, object]] = []
    seen: dict[str, list[str]] = {}  # resolved file path -> record ids of the rows that reached it
    for folder in dict.fromkeys(folders):  # a folder listed twice is read once
        if not folder.is_dir():
            problem = "does not exist" if not folder.exists() else "is not a folder"
            rows.append(problem_row(folder, day, f"image folder {folder} {problem}; fix the configured image folders"))
            continue
        for path in image_files(folder, rows, day):
            row = image_row(folder, path, day)
            if row is not None:
                mark_duplicate(row, path, seen)
                rows.append(row)
    return rows


def image_files(folder: Path, problems: list[dict[str, object]], day: date) -> list[Path]:
    """The image files below `folder`, in a stable order; a subfolder that cannot be read becomes a problem row."""

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        problems.append(problem_row(where, day, f"cannot read image folder {where}: {error.strerror or error}"))

    found: list[Path] = []
    for current, subfolders, names in os.walk(folder, onerror=unreadable):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(HIDDEN_PREFIXES))
        for name in names:
            if not name.startswith(HIDDEN_PREFIXES) and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                found.append(Path(current, name))
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def image_row(folder: Path, path: Path, day: date) -> dict[str, object] | None:
    """The ingest row of one file, or None when it is not of `day`, links out of the folder or is not a file."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a link loop
        return None
    if not resolved.is_relative_to(folder.resolve()) or not resolved.is_file():
        return None
    relative = path.relative_to(folder).as_posix()
    try:
        file_day = date_from_name(relative) or drop_day(resolved)
    except OSError:  # removed while the folder was read
        return None
    if file_day != day:
        return None
    return {
        "record_id": stable_id("file", str(resolved)),
        "url": resolved.as_uri(),
        "path": str(resolved),
        "input_url": relative,
        "source": SOURCE,
        "source_file": f"{folder.name}/{relative}",
        "source_row": None,
        "added_on": day,
        "status": IngestStatus.OK.value,
        "reason": "",
        "extra": "{}",
    }


def mark_duplicate(row: dict[str, object], found_as: Path, seen: dict[str, list[str]]) -> None:
    """A second way to the same file (a link, overlapping folders) becomes a duplicate row with its own id."""
    ids = seen.setdefault(str(row["path"]), [])
    if ids:
        row["record_id"] = stable_id("file-again", str(found_as), str(len(ids)))
        row["status"], row["duplicate_of"] = IngestStatus.DUPLICATE.value, ids[0]
        row["reason"] = f"same file as record {ids[0]} (a link or overlapping folders)"
    ids.append(str(row["record_id"]))


def problem_row(folder: Path, day: date, reason: str) -> dict[str, object]:
    return {
        "record_id": stable_id("folder", str(folder)),
        "source": SOURCE,
        "source_file": str(folder),
        "added_on": day,
        "status": IngestStatus.BAD_FILE.value,
        "reason": reason,
        "extra": "{}",
    }
