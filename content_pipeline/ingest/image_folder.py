"""Ingest rows for the image files found in the configured image folders.

Rule for the partition a file belongs to: a YYYY-MM-DD in its path below the folder (a `2026-11-24/` subfolder or
`cat-2026-11-24.png`) names its day; otherwise it belongs to the UTC day of its modification time.
Hidden files and folders (names starting with "." or "~") and names without an image extension are ignored.
Links are never followed out of the folder, and linked folders are not descended into. An image name that is not
read says why in a bad_file row, on the day its path names, else the day of its own modification time (a link's
own): a link out of the folder (or a linked folder out of it), a link loop or a link to nothing, a FIFO, socket or
device, a name that is not valid UTF-8, and a file that disappeared while the folder was read (on the day read).
An image that move mode took out of its folder keeps its row on its day (moved_images.py): fetch reads it where it
was filed.
"""

import os
import stat
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from content_pipeline.ingest.entry_checks import EntryRefusedError, followed_link, kind_of, utc_day
from content_pipeline.ingest.file_names import display_name, is_utf8_name
from content_pipeline.ingest.partition_rule import date_from_name
from content_pipeline.moved_images import MovedImages
from content_pipeline.status import IngestStatus
from content_pipeline.urls import stable_id

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})
HIDDEN_PREFIXES = (".", "~")
SOURCE = "folder"
PLACE = "image folder"


def image_folder_rows(folders: Sequence[Path], day: date, moved: MovedImages | None = None) -> list[dict[str, object]]:
    """One ingest row per image file of `day` in the folders (sorted), and per image of `day` that move mode took
    out of them; a missing folder becomes a bad_file row."""
    rows: list[dict[str, object]] = []
    seen: dict[str, list[str]] = {}  # resolved file path -> record ids of the rows that reached it
    reported: set[object] = set()  # ids of bad_file rows already given (overlapping folders)
    gone = moved_rows(moved, day)
    for folder in dict.fromkeys(folders):  # a folder listed twice is read once
        if not folder.is_dir():
            problem = "does not exist" if not folder.exists() else "is not a folder"
            shown = display_name(str(folder))
            rows.append(problem_row(folder, shown, day, f"image folder {shown} {problem}; fix the configured folders"))
            continue
        unreadable: list[dict[str, object]] = []
        found = [
            (path, row) for path in image_candidates(folder, unreadable, day) if (row := image_row(folder, path, day))
        ]
        root = folder.resolve()
        found += [(Path(str(row["path"])), row) for row in gone if Path(str(row["path"])).is_relative_to(root)]
        for path, row in sorted(found, key=lambda item: str(item[1].get("input_url"))):
            if row["status"] == IngestStatus.OK.value:
                mark_duplicate(row, path, seen)
                rows.append(row)
            else:
                add_once(rows, row, reported)
        for row in unreadable:
            add_once(rows, row, reported)
    return rows


def moved_rows(moved: MovedImages | None, day: date) -> list[dict[str, object]]:
    """The ingest rows of the images of `day` that move mode took out of their folders (and that are not back)."""
    rows = []
    for image in moved.of_day(day.isoformat()) if moved is not None else []:
        if not os.path.lexists(image.source):
            rows.append({**image.ingest_row, "added_on": day})
    return rows


def add_once(rows: list[dict[str, object]], problem: dict[str, object], reported: set[object]) -> None:
    """Add a bad_file row unless the same problem was reported already (a file seen through overlapping folders)."""
    if problem["record_id"] not in reported:
        reported.add(problem["record_id"])
        rows.append(problem)


def image_candidates(folder: Path, problems: list[dict[str, object]], day: date) -> list[Path]:
    """The image names below `folder` and its links to folders, in a stable order; unreadable subfolders are rows."""

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        shown, why = display_name(str(where)), error.strerror or type(error).__name__
        problems.append(problem_row(where, shown, day, f"cannot read image folder {shown}: {why}"))

    found: list[Path] = []
    for current, subfolders, names in os.walk(folder, onerror=unreadable):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(HIDDEN_PREFIXES))
        found.extend(Path(current, name) for name in subfolders if os.path.islink(os.path.join(current, name)))
        for name in names:
            if not name.startswith(HIDDEN_PREFIXES) and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                found.append(Path(current, name))
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def image_row(folder: Path, path: Path, day: date) -> dict[str, object] | None:
    """The ingest row of one image name, or None when it is not of `day` (or is a linked folder inside `folder`)."""
    relative = path.relative_to(folder).as_posix()
    name_day = date_from_name(relative)
    try:
        own = os.lstat(path)
    except FileNotFoundError:  # no date of its own left: reported on the day being read
        gone = name_day in (None, day)
        return file_problem(folder, path, day, "disappeared while the folder was read; not read") if gone else None
    try:
        resolved, seen = image_target(folder, path, own)
    except EntryRefusedError as refused:
        if (name_day or utc_day(own.st_mtime)) != day:
            return None
        return file_problem(folder, path, day, str(refused))
    if resolved is None or (name_day or utc_day(seen.st_mtime)) != day:
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


def image_target(folder: Path, path: Path, own: os.stat_result) -> tuple[Path | None, os.stat_result]:
    """The regular file to ingest for an image name and its stat (None for a linked folder inside `folder`).

    Raises EntryRefusedError with the reason the name is not read.
    """
    if not is_utf8_name(path.relative_to(folder).as_posix()):
        raise EntryRefusedError("the name is not valid UTF-8; rename it (plain ASCII is safest) and it will be read")
    root = folder.resolve()
    if stat.S_ISLNK(own.st_mode):
        resolved, seen = followed_link(root, path, PLACE)
        if stat.S_ISDIR(seen.st_mode):
            return None, seen  # its images come in through the folder it links to
        if not stat.S_ISREG(seen.st_mode):
            raise EntryRefusedError(f"a link to {kind_of(seen.st_mode)}, not to a file; not read")
    else:
        resolved, seen = root / path.relative_to(folder), own
        if not stat.S_ISREG(seen.st_mode):
            raise EntryRefusedError(f"{kind_of(seen.st_mode)}, not a file; not read")
    if not is_utf8_name(str(resolved)):
        raise EntryRefusedError(
            f"its path {display_name(str(resolved))} is not valid UTF-8; rename the folder or file "
            "(plain ASCII is safest) and it will be read"
        )
    return resolved, seen


def mark_duplicate(row: dict[str, object], found_as: Path, seen: dict[str, list[str]]) -> None:
    """A second way to the same file (a link, overlapping folders) becomes a duplicate row with its own id."""
    ids = seen.setdefault(str(row["path"]), [])
    if ids:
        row["record_id"] = stable_id("file-again", str(found_as), str(len(ids)))
        row["status"], row["duplicate_of"] = IngestStatus.DUPLICATE.value, ids[0]
        row["reason"] = f"same file as record {ids[0]} (a link or overlapping folders)"
    ids.append(str(row["record_id"]))


def file_problem(folder: Path, path: Path, day: date, problem: str) -> dict[str, object]:
    """The bad_file row of one image name that is not read (it never names a link's target)."""
    relative = display_name(path.relative_to(folder).as_posix())
    row = problem_row(path, f"{display_name(folder.name)}/{relative}", day, f"{relative}: {problem}")
    row["record_id"] = stable_id("file-problem", str(path))
    row["input_url"] = relative
    return row


def problem_row(where: Path, shown: str, day: date, reason: str) -> dict[str, object]:
    return {
        "record_id": stable_id("folder", str(where)),
        "source": SOURCE,
        "source_file": shown,
        "added_on": day,
        "status": IngestStatus.BAD_FILE.value,
        "reason": reason,
        "extra": "{}",
    }
