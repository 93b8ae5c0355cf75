"""Ingest rows for the images in Google Drive folders, with the rules of local image folders (ingest/image_folder.py).

Each configured folder is read breadth-first, its sub-folders included, every folder once (a folder reachable twice,
or a loop of shortcuts, is read once); trashed files are not listed. A shortcut is resolved once: to a folder, that
folder is read as a sub-folder; to a file, the target file is ingested (one files.get); a shortcut to a shortcut is
not followed. A shortcut whose target is missing, not shared or trashed becomes a bad_file row saying so.
Images are the image mime types (or an image name); hidden names (starting with "." or "~") are skipped.
Rule for the day of an image: a YYYY-MM-DD in its path below the folder names it, else the UTC day of its
createdTime. The same Drive file reached twice (two shortcuts, a file with two parents) is a `duplicate` row.
A configured folder that is missing, not shared or trashed is one bad_file row on every day; the run goes on.
An image that move mode moved out of the folders keeps its row on its day (the exporter's ledger, moved_images.py).
"""

import json
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import Any

from content_pipeline.drive.client import FOLDER_TYPE, DriveApiError, DriveClient, in_folder
from content_pipeline.drive.errors import DriveError
from content_pipeline.drive.links import file_link
from content_pipeline.drive.settings import folder_id
from content_pipeline.ingest.image_folder import HIDDEN_PREFIXES, IMAGE_SUFFIXES
from content_pipeline.ingest.partition_rule import date_from_name
from content_pipeline.moved_images import MovedImages
from content_pipeline.status import IngestStatus
from content_pipeline.urls import stable_id

SOURCE = "drive"
SHORTCUT_TYPE = "application/vnd.google-apps.shortcut"
IMAGE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
ENTRY_FIELDS = "id,name,mimeType,trashed,size,md5Checksum,createdTime,modifiedTime,shortcutDetails"
SETTING = "CONTENT_PIPELINE_DRIVE_IMAGE_FOLDERS"


def is_image(name: str, mime_type: object) -> bool:
    return mime_type in IMAGE_MIME_TYPES or PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def drive_image_rows(
    client: DriveClient,
    folders: Sequence[str],
    day: date,
    exclude: Collection[str] = (),
    moved: MovedImages | None = None,
) -> list[dict[str, object]]:
    """One ingest row per image of `day` in the Drive folders (ids or links), and per image of `day` that move mode
    took out of them; the folders in `exclude` (where images are filed) are not read.

    A refusal of one folder or file is a bad_file row; Drive unavailable after its retries raises
    DriveUnavailableError, and a refused sign-in DriveError."""
    walk = DriveWalk(client, day, frozenset(exclude))
    tops = []
    for configured in dict.fromkeys(folders):  # a folder listed twice is read once
        top = walk.read(configured)
        if top is not None:
            tops.append(top)
    rows = walk.rows()
    listed = {row["record_id"] for row in rows}
    rows += [row for row in moved_drive_rows(moved, day, tops) if row["record_id"] not in listed]
    return rows


def moved_drive_rows(moved: MovedImages | None, day: date, folders: Collection[str]) -> list[dict[str, object]]:
    """The ingest rows of the Drive images of `day` (from `folders`) that move mode filed away."""
    rows = []
    for image in moved.of_day(day.isoformat()) if moved is not None else []:
        row = image.ingest_row
        extra = json.loads(str(row.get("extra") or "{}"))
        if row.get("source") == SOURCE and extra.get("drive_folder_id") in folders:
            rows.append({**row, "added_on": day})
    return rows


@dataclass
class Place:
    """A folder to read: the configured folder it is under (id, name) and its path below it ("" or "a/b/")."""

    folder: str
    top: str
    top_name: str
    prefix: str


@dataclass
class DriveWalk:
    """The reading of a day's Drive folders: the rows found so far and the folders already read or queued."""

    client: DriveClient
    day: date
    exclude: frozenset[str]
    queued: set[str] = field(default_factory=set)
    found: list[dict[str, object]] = field(default_factory=list)  # by configured folder, in the order read
    problems: list[dict[str, object]] = field(default_factory=list)

    def read(self, configured: str) -> str | None:
        """Read one configured folder and its sub-folders; its id, or None when it is refused (a bad_file row)."""
        try:
            top = folder_id(configured)
        except DriveError as exc:
            self.problems.append(folder_problem(configured, self.day, f"{exc}; fix {SETTING}"))
            return None
        if top in self.exclude:
            why = f"the Drive folder {top} is where images are filed, so it is not read as a source; fix {SETTING}"
            self.problems.append(folder_problem(top, self.day, why))
            return None
        try:
            name = self.top_folder(top)
        except DriveApiError as exc:
            self.problems.append(folder_problem(top, self.day, self.refusal(top, exc)))
            return None
        except FolderRefusedError as exc:
            self.problems.append(folder_problem(top, self.day, str(exc)))
            return None
        if top in self.queued:  # inside a folder read before (overlapping folders): read once
            return top
        self.queued.add(top)
        waiting = deque([Place(top, top, name, "")])
        rows: list[dict[str, object]] = []
        while waiting:
            self.read_folder(waiting.popleft(), waiting, rows)
        self.found += sorted(rows, key=lambda row: str(row["input_url"]))
        return top

    def top_folder(self, top: str) -> str:
        """The configured folder's name; FolderRefusedError when it is a file or in the trash."""
        found = self.client.get(top, ENTRY_FIELDS)
        if found.get("mimeType") != FOLDER_TYPE:
            raise FolderRefusedError(f"{top} is a Drive file, not a folder: give a folder's id or link in {SETTING}")
        if found.get("trashed"):
            raise FolderRefusedError(f"the Drive folder {top} is in the trash: restore it, or give another folder")
        return str(found.get("name") or top)

    def refusal(self, top: str, error: DriveApiError) -> str:
        share = f"share it with {self.client.account}"
        if error.status == 404:
            return f"the Drive folder {top} does not exist or is not shared with the service account: {share}"
        return f"the Drive folder {top} cannot be read ({error}): {share}"

    def read_folder(self, place: Place, waiting: deque[Place], rows: list[dict[str, object]]) -> None:
        query = in_folder(place.folder)
        try:
            entries = list(self.client.list(query, ENTRY_FIELDS))
        except DriveApiError as exc:  # a sub-folder the account may not list
            shown = f"{place.top_name}/{place.prefix}"
            self.problems.append(folder_problem(shown, self.day, f"cannot read the Drive folder {shown}: {exc}"))
            return
        for entry in sorted(entries, key=lambda e: (str(e.get("name")), str(e.get("id")))):
            name = str(entry.get("name") or "")
            if not name or name.startswith(HIDDEN_PREFIXES) or "/" in name:
                continue
            relative = place.prefix + name
            mime = entry.get("mimeType")
            if mime == FOLDER_TYPE:
                self.queue(str(entry["id"]), place, relative, waiting)
            elif mime == SHORTCUT_TYPE:
                self.shortcut(entry, place, relative, waiting, rows)
            elif is_image(name, mime):
                self.image(entry, place, relative, rows)

    def queue(self, folder: str, place: Place, relative: str, waiting: deque[Place]) -> None:
        if folder not in self.exclude and folder not in self.queued:
            self.queued.add(folder)
            waiting.append(Place(folder, place.top, place.top_name, relative + "/"))

    def shortcut(
        self, entry: dict[str, Any], place: Place, relative: str, waiting: deque[Place], rows: list[dict[str, object]]
    ) -> None:
        """Follow a shortcut once: into its target folder, or to its target image; a bad target is a bad_file row."""
        details = entry.get("shortcutDetails") or {}
        target, target_mime = str(details.get("targetId") or ""), details.get("targetMimeType")
        if target_mime == FOLDER_TYPE:
            if target in self.exclude or target in self.queued:
                return
        elif target_mime == SHORTCUT_TYPE:
            self.entry_problem(entry, place, relative, "a shortcut to a shortcut; not followed")
            return
        elif not is_image(relative, target_mime):
            return
        if not target:
            self.entry_problem(entry, place, relative, "a shortcut without a target; not read")
            return
        try:
            found = self.client.get(target, ENTRY_FIELDS)
        except DriveApiError as exc:
            why = (
                f"its target {target} does not exist or is not shared with {self.client.account}; not read"
                if exc.status == 404
                else f"its target {target} cannot be read ({exc}); not read"
            )
            self.entry_problem(entry, place, relative, why)
            return
        if found.get("trashed"):
            self.entry_problem(entry, place, relative, f"its target {target} is in the Drive trash; not read")
        elif found.get("mimeType") == FOLDER_TYPE:
            self.queue(target, place, relative, waiting)
        elif found.get("mimeType") == SHORTCUT_TYPE:
            self.entry_problem(entry, place, relative, "a shortcut to a shortcut; not followed")
        elif is_image(str(found.get("name") or relative), found.get("mimeType")):
            self.image(found, place, relative, rows)

    def day_of(self, entry: dict[str, Any], relative: str) -> date | None:
        """The day a file belongs to: a date in its path, else the UTC day of its createdTime (None: unknown)."""
        named = date_from_name(relative)
        if named is not None:
            return named
        try:
            created = datetime.fromisoformat(str(entry.get("createdTime")))
        except ValueError:
            return None
        return (created if created.tzinfo is None else created.astimezone(UTC)).date()

    def image(self, file: dict[str, Any], place: Place, relative: str, rows: list[dict[str, object]]) -> None:
        day = self.day_of(file, relative)
        if day is None:
            self.entry_problem(file, place, relative, "Drive gave no createdTime for it; not read", self.day)
            return
        if day != self.day:
            return
        file_id, size = str(file["id"]), file.get("size")
        extra = {
            "drive_file_id": file_id,
            "drive_folder_id": place.top,
            "md5Checksum": file.get("md5Checksum"),
            "modifiedTime": file.get("modifiedTime"),
            "size": str(size) if size is not None else None,  # text, as Drive gives it (extra holds text only)
        }
        rows.append(
            {
                "record_id": stable_id(SOURCE, file_id),
                "url": file_link(file_id),
                "path": None,
                "input_url": relative,
                "source": SOURCE,
                "source_file": f"{place.top_name}/{relative}",
                "source_row": None,
                "added_on": day,
                "status": IngestStatus.OK.value,
                "reason": "",
                "extra": json.dumps(extra),
            }
        )

    def entry_problem(
        self, entry: dict[str, Any], place: Place, relative: str, problem: str, day: date | None = None
    ) -> None:
        """A bad_file row for one entry, on its own day (a date in its path, or its createdTime)."""
        on = day or self.day_of(entry, relative) or self.day
        if on != self.day:
            return
        self.problems.append(
            {
                "record_id": stable_id("drive-problem", place.top, relative),
                "input_url": relative,
                "source": SOURCE,
                "source_file": f"{place.top_name}/{relative}",
                "added_on": self.day,
                "status": IngestStatus.BAD_FILE.value,
                "reason": f"{relative}: {problem}",
                "extra": "{}",
            }
        )

    def rows(self) -> list[dict[str, object]]:
        """The rows found, the second way to a Drive file marked a duplicate, then the problems."""
        first_of: dict[object, str] = {}  # url -> record id of the first row of that file
        for row in self.found:
            if row["url"] in first_of:
                mark_duplicate(row, first_of[row["url"]])
            else:
                first_of[row["url"]] = str(row["record_id"])
        return self.found + self.problems


def mark_duplicate(row: dict[str, object], first: str) -> None:
    row["record_id"] = stable_id("drive-again", str(row["source_file"]))
    row["status"], row["duplicate_of"] = IngestStatus.DUPLICATE.value, first
    row["reason"] = f"same Drive file as record {first} (a shortcut, or a file in two folders)"


def folder_problem(folder: str, day: date, reason: str) -> dict[str, object]:
    return {
        "record_id": stable_id("drive-folder", folder),
        "source": SOURCE,
        "source_file": folder,
        "added_on": day,
        "status": IngestStatus.BAD_FILE.value,
        "reason": reason,
        "extra": "{}",
    }


class FolderRefusedError(Exception):
    """A configured folder that cannot be read as one: the message says why and what to do."""
