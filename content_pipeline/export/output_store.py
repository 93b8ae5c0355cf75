"""Where export_files writes a day's files: a local folder (the default) or a prefix of an S3-compatible object store.

Both keep the promises of the local files: a reader sees the old file or the new one, never half of one; a rerun
replaces a file instead of adding one; a failed write leaves the previous file. A folder does it with a temporary
name in the target's folder and a rename over the target. An object store has no rename, but one PUT and one
completed multipart upload are atomic, so the file is written to a local spool file first and then uploaded in one
go, through the warehouse's s3fs client and upload helper (warehouse/object_storage.py). Locations are `Path`s in a
folder and `s3://bucket/key` strings in an object store. A folder never loads s3fs.
"""

import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow.parquet as pq

from content_pipeline.warehouse.storage import OBJECT_STORE_SCHEMES, Location, StorageError, root_location

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


class OutputStore(Protocol):
    """What the writers of a day's files need from the place the files go."""

    root: Location

    def join(self, *parts: str) -> Location: ...

    def spool(self, target: Location) -> Path:
        """A new local file to write `target`'s next content to (the caller removes it if it is left over)."""
        ...

    def publish(self, spool: Path, target: Location) -> None:
        """Put the finished spool file in the place of `target`, whole."""
        ...

    def is_file(self, target: Location) -> bool: ...

    def read_metadata(self, target: Location) -> pq.FileMetaData:
        """The footer of a parquet file; OSError when it cannot be read."""
        ...

    def local_copy(self, target: Location) -> contextlib.AbstractContextManager[Path]:
        """The file as a local path while the block runs (the file itself in a folder, a download otherwise)."""
        ...


class LocalOutput:
    """A folder on this machine: temporary name beside the target, then a rename over it."""

    def __init__(self, root: Path) -> None:
        self.root: Location = root

    def join(self, *parts: str) -> Location:
        return Path(self.root).joinpath(*parts)

    def spool(self, target: Location) -> Path:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")

    def publish(self, spool: Path, target: Location) -> None:
        os.replace(spool, target)

    def is_file(self, target: Location) -> bool:
        return Path(target).is_file()

    def read_metadata(self, target: Location) -> pq.FileMetaData:
        return pq.read_metadata(Path(target))

    @contextlib.contextmanager
    def local_copy(self, target: Location) -> Iterator[Path]:
        yield Path(target)


class ObjectOutput:
    """`s3://bucket/prefix`: a local spool file, then one upload of it."""

    def __init__(self, fs: "AbstractFileSystem", root: str) -> None:
        self.fs = fs
        self.root: Location = root.rstrip("/")

    def join(self, *parts: str) -> Location:
        return "/".join([str(self.root), *parts])

    def spool(self, target: Location) -> Path:
        # The target's name ends the spool's, so the upload's content type is guessed from it (text/html...).
        name = str(target).rsplit("/", 1)[-1]
        return Path(tempfile.gettempdir()) / f"output-upload-{uuid.uuid4().hex}-{name}"

    def publish(self, spool: Path, target: Location) -> None:
        from content_pipeline.warehouse.object_storage import upload_file

        upload_file(self.fs, spool, str(target))
        spool.unlink(missing_ok=True)

    def is_file(self, target: Location) -> bool:
        return bool(self.fs.isfile(str(target)))

    def read_metadata(self, target: Location) -> pq.FileMetaData:
        with self.fs.open(str(target), "rb") as handle:
            return pq.read_metadata(handle)

    @contextlib.contextmanager
    def local_copy(self, target: Location) -> Iterator[Path]:
        name = str(target).rsplit("/", 1)[-1]
        with tempfile.TemporaryDirectory(prefix="output-read-") as folder:
            path = Path(folder) / name
            self.fs.get_file(str(target), str(path))
            yield path


def output_at(root: Location) -> OutputStore:
    """The store of an output setting: a local folder, or an object store for `s3://bucket/prefix`."""
    location = root_location(root)
    if isinstance(location, Path):
        return LocalOutput(location)
    if not location.startswith(OBJECT_STORE_SCHEMES):
        raise StorageError(f"output {location!r}: only a local folder or an S3-compatible store (s3://bucket/prefix)")
    bucket = location.removeprefix("s3://").split("/", 1)[0]
    if len(bucket) < 3:
        raise StorageError(f"output {location!r}: name a bucket, as in s3://bucket/prefix")
    from content_pipeline.warehouse.object_storage import s3_filesystem

    return ObjectOutput(s3_filesystem(), location)


def write_whole(store: OutputStore, target: Location, write: Callable[[Path], None]) -> Location:
    """Write `target` through a spool file that `write` fills, then put it in place whole; returns `target`."""
    spool = store.spool(target)
    try:
        write(spool)
        store.publish(spool, target)
    finally:
        spool.unlink(missing_ok=True)
    return target
