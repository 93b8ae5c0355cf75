"""The warehouse in a local folder: files written to a temporary name, synced to disk and renamed over the old one."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from content_pipeline.warehouse.storage import Location

COMPRESSION = "zstd"


def write_parquet_file(
    target: Path,
    tables: Iterable[pa.Table],
    schema: pa.Schema | None = None,
    footer: Callable[[], dict[str, str]] | None = None,
) -> int:
    """Write `tables` in order into `target` (one row group each) atomically: temporary name, fsync, rename.

    Returns the rows written. With no table at all, `schema` gives the columns of the empty file. `footer`, called
    once every table is written, gives key-value metadata stored in the file's footer."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        rows = write_row_groups(temporary, tables, schema, footer)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return rows


def write_row_groups(
    path: Path,
    tables: Iterable[pa.Table],
    schema: pa.Schema | None = None,
    footer: Callable[[], dict[str, str]] | None = None,
) -> int:
    """Write `tables` in order into `path` (one row group each), as they come; returns the rows written."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in tables:
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema, compression=COMPRESSION)
            writer.write_table(table.cast(writer.schema) if table.schema != writer.schema else table)
            rows += table.num_rows
        if writer is None:
            if schema is None:
                raise ValueError(f"no rows and no schema for {path}")
            writer = pq.ParquetWriter(path, schema, compression=COMPRESSION)
        if footer is not None:
            writer.add_key_value_metadata(footer())
        writer.close()
        writer = None
    finally:
        if writer is not None:
            writer.close()
    return rows


class LocalStorage:
    """`root` is a folder on this machine; every location is a Path."""

    def __init__(self, root: Path) -> None:
        self.root: Location = root

    def join(self, base: Location, *parts: str) -> Location:
        return Path(base).joinpath(*parts)

    def is_file(self, location: Location) -> bool:
        return Path(location).is_file()

    def identity(self, location: Location) -> str:
        stat = Path(location).stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"

    def read_metadata(self, location: Location) -> pq.FileMetaData:
        return pq.read_metadata(Path(location))

    def write_parquet(
        self,
        target: Location,
        tables: Iterable[pa.Table],
        schema: pa.Schema | None = None,
        footer: Callable[[], dict[str, str]] | None = None,
    ) -> int:
        return write_parquet_file(Path(target), tables, schema, footer)

    def write_table(self, target: Location, table: pa.Table) -> None:
        path = Path(target)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            pq.write_table(table, temporary, compression=COMPRESSION)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def read_table(self, location: Location, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(Path(location), columns=columns)

    def read_schema(self, location: Location) -> pa.Schema:
        return pq.read_schema(Path(location))

    def open_parquet(self, location: Location) -> tuple[pq.ParquetFile, Callable[[], None]]:
        # The open file keeps what it held when opened: a rename over it later does not change what it reads.
        file = pq.ParquetFile(Path(location))
        return file, file.close

    def names(self, folder: Location, pattern: str) -> list[str]:
        return [path.name for path in Path(folder).glob(pattern)]

    def read_text(self, location: Location) -> str | None:
        try:
            return Path(location).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None

    def write_text(self, location: Location, text: str) -> None:
        Path(location).write_text(text, encoding="utf-8")

    def make_folder(self, folder: Location) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)

    def remove_tree(self, folder: Location) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def asset_folders(self, partition_file: str) -> list[str]:
        root = Path(self.root)
        if not root.is_dir():
            return []
        return [p.name for p in root.iterdir() if any(p.glob(f"*/{partition_file}"))]

    def register(self, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        return connection
