"""The warehouse on an S3-compatible object store, through fsspec (s3fs).

An object store has no rename, but one PUT and one completed multipart upload are atomic: an object is the old one
or the new one, never half of one. So a partition is written to a local spool file first and then uploaded in one
go, and a staged chunk is one PUT. A reader downloads the partition it opens into a spool file of its own (pinned by
the object's ETag; a replacement during the download starts it over), so it keeps reading the partition it opened
while a rerun replaces it, as an open local file does.

The endpoint, key and secret come from the environment, read by botocore as it always does (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_DEFAULT_REGION...) plus AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for a store
other than AWS; they are never logged nor written anywhere.
"""

import contextlib
import functools
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from shutil import copyfileobj
from typing import IO, TYPE_CHECKING, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from content_pipeline.warehouse.local_storage import COMPRESSION, write_row_groups
from content_pipeline.warehouse.storage import Location, StorageError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

COPY_BLOCK = 8 * 2**20  # bytes per ranged GET while a reader downloads a partition
UPLOAD_PART = 16 * 2**20  # one PUT up to twice this, a multipart upload of parts this size beyond
PINNED_READ_ATTEMPTS = 5  # downloads started over when the object is replaced meanwhile

Result = TypeVar("Result")


@functools.cache
def s3_filesystem() -> "AbstractFileSystem":
    """The process's s3fs filesystem; botocore finds the endpoint, key and secret in the environment when it first
    connects (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, a profile or an instance role)."""
    import s3fs

    # Listings are not cached: another worker may commit a partition at any time.
    return s3fs.S3FileSystem(use_listings_cache=False, skip_instance_cache=True)


@contextlib.contextmanager
def writing(location: Location) -> Iterator[None]:
    """A missing bucket or a refused key, raised again with the object and what to check (never the key itself)."""
    try:
        yield
    except (FileNotFoundError, PermissionError) as exc:
        raise type(exc)(
            f"cannot write {location}: {exc} (the bucket must exist, and the key that AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY or AWS_PROFILE name must be allowed to write it at AWS_ENDPOINT_URL)"
        ) from exc


def upload_file(fs: "AbstractFileSystem", spool: Path, target: str) -> None:
    """Upload a finished local file to `target` in one go (one PUT, or one completed multipart upload): a reader
    sees the old object or the new one, never half of one."""
    with writing(target):
        fs.put_file(str(spool), target, chunksize=UPLOAD_PART)


class ObjectStorage:
    """`root` is `s3://bucket/prefix`; every location is an `s3://` URL."""

    def __init__(self, fs: "AbstractFileSystem", root: str, scheme: str = "s3") -> None:
        self.fs, self.scheme = fs, scheme
        self.root: Location = root.rstrip("/")

    @classmethod
    def s3(cls, root: str) -> "ObjectStorage":
        bucket = root.removeprefix("s3://").split("/", 1)[0]
        if len(bucket) < 3:
            raise StorageError(f"warehouse root {root!r}: name a bucket, as in s3://bucket/prefix")
        return cls(s3_filesystem(), root)

    def join(self, base: Location, *parts: str) -> Location:
        return "/".join([str(base).rstrip("/"), *parts])

    def is_file(self, location: Location) -> bool:
        return bool(self.fs.isfile(str(location)))

    def identity(self, location: Location) -> str:
        info = self.fs.info(str(location))
        return f"{info.get('size')}:{info.get('ETag')}:{info.get('LastModified')}:{info.get('VersionId') or ''}"

    def read_metadata(self, location: Location) -> pq.FileMetaData:
        return self._pinned(location, pq.read_metadata)

    def write_parquet(
        self,
        target: Location,
        tables: Iterable[pa.Table],
        schema: pa.Schema | None = None,
        footer: Callable[[], dict[str, str]] | None = None,
    ) -> int:
        with tempfile.TemporaryDirectory(prefix="warehouse-upload-") as folder:
            spool = Path(folder) / "part.parquet"
            rows = write_row_groups(spool, tables, schema, footer)
            upload_file(self.fs, spool, str(target))
        return rows

    def write_table(self, target: Location, table: pa.Table) -> None:
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression=COMPRESSION)
        with writing(target):
            self.fs.pipe_file(str(target), sink.getvalue().to_pybytes())

    def read_table(self, location: Location, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(pa.BufferReader(self.fs.cat_file(str(location))), columns=columns)

    def read_schema(self, location: Location) -> pa.Schema:
        return self._pinned(location, pq.read_schema)

    def open_parquet(self, location: Location) -> tuple[pq.ParquetFile, Callable[[], None]]:
        spool = self.download(location)
        try:
            file = pq.ParquetFile(spool)
        except BaseException:
            spool.close()
            raise

        def close() -> None:
            file.close()
            spool.close()

        return file, close

    def download(self, location: Location) -> IO[bytes]:
        """The object as it is now, in an anonymous local file (gone when closed)."""

        def copy(source: IO[bytes]) -> IO[bytes]:
            spool = tempfile.TemporaryFile(prefix="warehouse-read-")  # noqa: SIM115 (the reader closes it)
            try:
                copyfileobj(source, spool, COPY_BLOCK)
                spool.seek(0)
            except BaseException:
                spool.close()
                raise
            return spool

        return self._pinned(location, copy, block_size=COPY_BLOCK, cache_type="none")

    def _pinned(self, location: Location, read: Callable[[IO[bytes]], Result], **options: object) -> Result:
        """`read` of the object opened once: s3fs pins every ranged GET to the ETag it saw first, and raises
        FileExpired when the object changed meanwhile; `read` then starts over on the object as it is now."""
        from s3fs.utils import FileExpired

        for _ in range(PINNED_READ_ATTEMPTS):
            try:
                with self.fs.open(str(location), "rb", **options) as source:
                    return read(source)
            except FileExpired:
                continue
        raise OSError(f"{location} was replaced {PINNED_READ_ATTEMPTS} times while being read: try again")

    def names(self, folder: Location, pattern: str) -> list[str]:
        return [path.rsplit("/", 1)[-1] for path in self.fs.glob(f"{str(folder).rstrip('/')}/{pattern}")]

    def read_text(self, location: Location) -> str | None:
        try:
            return bytes(self.fs.cat_file(str(location))).decode("utf-8")
        except (OSError, ValueError):
            return None

    def write_text(self, location: Location, text: str) -> None:
        with writing(location):
            self.fs.pipe_file(str(location), text.encode("utf-8"))

    def make_folder(self, folder: Location) -> None:
        """Nothing: an object store has no folders, only keys."""

    def remove_tree(self, folder: Location) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(str(folder), recursive=True)

    def asset_folders(self, partition_file: str) -> list[str]:
        root = str(self.root).removeprefix(f"{self.scheme}://")
        found = self.fs.glob(f"{root}/*/*/{partition_file}")
        return sorted({path[len(root) + 1 :].split("/", 1)[0] for path in found})

    def register(self, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        if not connection.filesystem_is_registered(self.scheme):
            connection.register_filesystem(self.fs)
        return connection
