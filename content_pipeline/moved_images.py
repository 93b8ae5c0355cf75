"""Where move mode put each image from an image folder, so that a rerun of its day finds it again.

Move mode deletes an image from its folder once its filed copy is verified. Just before the delete, this ledger
(an SQLite file beside the other caches, `var/cache/moved-images.sqlite`) records the image's ingest row and where
its bytes are now. A rerun of the day then gives the image the same ingest row as before (ingest), reads its
bytes where they were filed, checked against the recorded size and SHA-256 (fetch), and finds it already filed
(export): the day never shrinks because its sources were moved.
"""

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from content_pipeline.sqlite_file import open_sqlite, select_in
from content_pipeline.warehouse.storage import Location, is_object_store

# the bytes of a Drive file by its id, at most a cap (DriveFileTooLargeError past it); OSError when Drive will not
ReadDrive = Callable[[str, int], bytes]
DRIVE_PREFIX = "drive:"  # `filed` of an image filed into Google Drive: `drive:<file id>`
SCHEMA = """
CREATE TABLE IF NOT EXISTS moves (
    source TEXT PRIMARY KEY, day TEXT NOT NULL, ingest_row TEXT NOT NULL, filed TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, moved_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS moves_by_day ON moves (day);
"""


@dataclass(frozen=True)
class MovedImage:
    """One image moved out of its folder: its ingest row (as first read), and its bytes' place, size and hash."""

    source: str  # the path it had in its folder (the ingest row's `path`)
    day: str  # the day it was ingested on (YYYY-MM-DD)
    ingest_row: dict[str, object]  # the ingest row, values as JSON (the day as ISO text)
    filed: str  # absolute path of the filed copy, its s3:// URL, or `drive:<file id>` for a copy in Google Drive
    size: int
    sha256: str  # "" for a Drive file moved inside Drive without its bytes being read

    def drive_file_id(self) -> str | None:
        """The Drive file the image went to, when it went into Google Drive."""
        return self.filed.removeprefix(DRIVE_PREFIX) if self.filed.startswith(DRIVE_PREFIX) else None

    def filed_copy(self) -> Path | None:
        """The filed copy when it is a local file still there with its recorded size (its hash is checked by whoever
        reads it); None for a copy on an object store (fetch reads it there)."""
        if is_object_store(self.filed) or self.filed.startswith(DRIVE_PREFIX):
            return None
        path = Path(self.filed)
        try:
            return path if path.is_file() and path.stat().st_size == self.size else None
        except OSError:
            return None


class MovedImages:
    """The ledger of the images filed under `images_root`; reading one that does not exist creates nothing."""

    def __init__(self, path: Path, images_root: Location, read_drive: ReadDrive | None = None) -> None:
        self.path = path
        self.images_root = images_root  # every filed copy is inside it: a place outside is never read
        self.read_drive = read_drive  # how fetch reads copies filed into Google Drive (None: they are not read)

    @contextmanager
    def connection(self, create: bool) -> Iterator[sqlite3.Connection | None]:
        if not create and not self.path.is_file():
            yield None
            return
        db = open_sqlite(self.path, SCHEMA)
        try:
            yield db
        finally:
            db.close()

    def record(self, moved: MovedImage) -> None:
        """Keep where an image went (committed before its source is deleted); a later move of it replaces it."""
        row = json.dumps(moved.ingest_row, default=str, ensure_ascii=False)
        now = datetime.now(UTC).isoformat()
        with self.connection(create=True) as db:
            assert db is not None
            db.execute(
                "INSERT OR REPLACE INTO moves VALUES (?, ?, ?, ?, ?, ?, ?)",
                (moved.source, moved.day, row, moved.filed, moved.size, moved.sha256, now),
            )

    def of_day(self, day: str) -> list[MovedImage]:
        """The images moved out of their folders that were ingested on `day`, by source path."""
        with self.connection(create=False) as db:
            rows = [] if db is None else db.execute(f"{SELECT} WHERE day = ? ORDER BY source", (day,)).fetchall()
        return [from_row(row) for row in rows]

    def find(self, sources: Iterable[str]) -> dict[str, MovedImage]:
        """Where the images that were at `sources` went, for those move mode moved (one look at the ledger)."""
        with self.connection(create=False) as db:
            if db is None:
                return {}
            return {row[0]: from_row(row) for row in select_in(db, f"{SELECT} WHERE source IN", sources)}


SELECT = "SELECT source, day, ingest_row, filed, size, sha256 FROM moves"


def from_row(row: tuple[str, str, str, str, int, str]) -> MovedImage:
    source, day, ingest_row, filed, size, sha256 = row
    return MovedImage(source, day, json.loads(ingest_row), filed, int(size), sha256)
