"""Where the warehouse's files live: a local folder (the default) or a prefix of an S3-compatible object store.

Both keep the warehouse's promises: a partition is written whole or not at all (a reader sees the old one or the new
one), and a rerun replaces it. A local folder does it with a temporary name and a rename (local_storage.py); an object
store with one upload of the finished file, since a single PUT or a completed multipart upload is atomic
(object_storage.py). Locations are `Path`s in a local folder and `s3://bucket/key` strings in an object store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # imported on use: the settings read `root_location` without loading DuckDB or Arrow
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

Location = Path | str  # a local file or folder, or an object's URL (s3://bucket/key)
OBJECT_STORE_SCHEMES = ("s3://",)


class StorageError(ValueError):
    """A warehouse root that names no storage this project can write (an unknown scheme, a bucket missing)."""


class WarehouseStorage(Protocol):
    """What PartitionStore, ChunkedPartition and PartitionReader need from the place their files live."""

    root: Location

    def join(self, base: Location, *parts: str) -> Location: ...

    def is_file(self, location: Location) -> bool: ...

    def identity(self, location: Location) -> str:
        """Changes whenever the file is written again."""
        ...

    def read_metadata(self, location: Location) -> pq.FileMetaData:
        """The parquet footer; FileNotFoundError when there is no such file."""
        ...

    def write_parquet(
        self,
        target: Location,
        tables: Iterable[pa.Table],
        schema: pa.Schema | None = None,
        footer: Callable[[], dict[str, str]] | None = None,
    ) -> int:
        """Write `tables` in order (one row group each) so that a reader sees the old file or the new one whole."""
        ...

    def write_table(self, target: Location, table: pa.Table) -> None:
        """Write one small file (a staged chunk) whole or not at all."""
        ...

    def read_table(self, location: Location, columns: list[str] | None = None) -> pa.Table: ...

    def read_schema(self, location: Location) -> pa.Schema: ...

    def open_parquet(self, location: Location) -> tuple[pq.ParquetFile, Callable[[], None]]:
        """The file for reading by row groups, pinned to what it holds now, and what closes it."""
        ...

    def names(self, folder: Location, pattern: str) -> list[str]:
        """The names of the files in `folder` that match the glob `pattern` (none when there is no folder)."""
        ...

    def read_text(self, location: Location) -> str | None:
        """The file's text; None when it is missing or unreadable."""
        ...

    def write_text(self, location: Location, text: str) -> None: ...

    def make_folder(self, folder: Location) -> None: ...

    def remove_tree(self, folder: Location) -> None:
        """Remove `folder` and everything under it; nothing when it is not there."""
        ...

    def asset_folders(self, partition_file: str) -> list[str]:
        """The names of the root's folders that hold at least one `*/<partition_file>`."""
        ...

    def register(self, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        """`connection`, able to read this storage's files with read_parquet."""
        ...


def is_object_store(root: Location) -> bool:
    """Whether `root` names an object store (`s3://bucket/prefix`) rather than a local folder."""
    return isinstance(root, str) and "://" in root


def root_location(text: Location) -> Location:
    """A warehouse root setting as a location: the URL as it is for an object store, else a local Path."""
    if isinstance(text, str) and "://" in text:
        scheme, _, rest = text.partition("://")
        return f"{scheme}://{rest.rstrip('/')}"
    return Path(text)


def storage_at(root: Location) -> WarehouseStorage:
    """The storage of a warehouse root: a local folder, or an object store for `s3://bucket/prefix`."""
    location = root_location(root)
    if isinstance(location, Path):
        from content_pipeline.warehouse.local_storage import LocalStorage

        return LocalStorage(location)
    if not location.startswith(OBJECT_STORE_SCHEMES):
        raise StorageError(
            f"warehouse root {location!r}: only a local folder or an S3-compatible store (s3://bucket/prefix) works"
        )
    from content_pipeline.warehouse.object_storage import ObjectStorage

    return ObjectStorage.s3(location)
