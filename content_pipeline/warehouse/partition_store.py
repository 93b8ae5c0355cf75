"""One parquet file per asset partition, written atomically in a folder or an object store, plus a DuckDB catalog."""

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb
import polars as pl

from content_pipeline.warehouse.chunked_partition import CONTENT_VERSION_KEY, ChunkedPartition, to_arrow
from content_pipeline.warehouse.content_hash import stage_content_version
from content_pipeline.warehouse.partition_reader import PartitionReader
from content_pipeline.warehouse.storage import Location, storage_at

PARTITION_FILE = "part.parquet"
SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SAFE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ROW_GROUP_ROWS = 1000  # a reader of a slice of rows reads only the row groups it covers

ConnectionFactory = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


class MissingPartitionError(LookupError):
    """An upstream partition that a stage needs has not been materialized."""


class PartitionStore:
    """`<root>/<asset>/date=<day>/part.parquet`, replaced whole: `root` is a folder or `s3://bucket/prefix`."""

    def __init__(self, root: Location) -> None:
        self.storage = storage_at(root)
        self.root = self.storage.root

    def location(self, asset: str, day: str) -> Location:
        """The partition's file: a Path in a local folder, an `s3://` URL in an object store."""
        if not SAFE_NAME.match(asset) or not SAFE_DAY.match(day):
            raise ValueError(f"bad asset name or day: {asset!r}, {day!r}")
        return self.storage.join(self.root, asset, f"date={day}", PARTITION_FILE)

    def path(self, asset: str, day: str) -> Path:
        """The partition's file in a local folder (TypeError in an object store: `location` names it there)."""
        location = self.location(asset, day)
        if not isinstance(location, Path):
            raise TypeError(f"{location} is an object, not a local file")
        return location

    def exists(self, asset: str, day: str) -> bool:
        return self.storage.is_file(self.location(asset, day))

    def write(self, asset: str, day: str, data: pl.DataFrame) -> Location:
        """Write one partition atomically: a reader sees the old file or the new one, never half of one."""
        target = self.location(asset, day)
        table = to_arrow(data)
        slices = (table.slice(start, ROW_GROUP_ROWS) for start in range(0, table.num_rows, ROW_GROUP_ROWS))
        version = stage_content_version(asset, data)
        self.storage.write_parquet(target, slices, table.schema, footer=lambda: {CONTENT_VERSION_KEY: version})
        return target

    def footer(self, asset: str, day: str) -> dict[str, str]:
        """The key-value metadata in the stored partition's footer ({} when there is no partition)."""
        try:
            metadata = self.storage.read_metadata(self.location(asset, day)).metadata or {}
        except FileNotFoundError:
            return {}
        return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in metadata.items()}

    def stored_version(self, asset: str, day: str) -> str | None:
        """The content version recorded when the partition was written (None: none recorded, or no partition)."""
        return self.footer(asset, day).get(CONTENT_VERSION_KEY)

    def chunked(self, asset: str, day: str, stamp: str, light: Iterable[str] | None = None) -> ChunkedPartition:
        """The partition of `asset` for `day` written chunk by chunk (see chunked_partition.py)."""
        return ChunkedPartition(self.storage, asset, day, self.location(asset, day), stamp, light)

    def reader(self, asset: str, day: str) -> PartitionReader:
        """A reader of the stored partition by slices of rows; MissingPartitionError when it is not there."""
        target = self.location(asset, day)
        if not self.storage.is_file(target):
            raise MissingPartitionError(f"no '{asset}' partition for {day}: materialize {asset} for {day} first")
        return PartitionReader(target, self.storage)

    def identity(self, asset: str, day: str) -> str:
        """Changes whenever the stored partition is written again (a stage's resume stamp includes its upstream's)."""
        return f"{asset}/{day}:{self.storage.identity(self.location(asset, day))}"

    def read(
        self, asset: str, day: str, columns: Iterable[str] | None = None, record_ids: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """One partition as a frame (only `record_ids`' rows when given, read without loading the others);
        MissingPartitionError names the asset and day when it is not there."""
        target = self.location(asset, day)
        if not self.storage.is_file(target):
            raise MissingPartitionError(f"no '{asset}' partition for {day}: materialize {asset} for {day} first")
        select = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
        query = f"SELECT {select} FROM read_parquet('{sql_path(glob_literal(target))}', hive_partitioning = false)"
        with self.connect() as con:
            if record_ids is None:
                return con.sql(query).pl()
            return con.sql(f"{query} WHERE record_id IN (SELECT unnest($1))", params=[list(record_ids)]).pl()

    def missing(self, asset: str, days: Iterable[str]) -> list[str]:
        """The partitions among `days` that `asset` does not have, in the order given."""
        return [day for day in days if not self.exists(asset, day)]

    def require(self, asset: str, days: Sequence[str]) -> None:
        """MissingPartitionError naming every missing day of `days` at once, before a range run starts on them."""
        if gaps := self.missing(asset, days):
            shown = ", ".join(gaps[:10]) + (f" and {len(gaps) - 10} more" if len(gaps) > 10 else "")
            raise MissingPartitionError(
                f"no '{asset}' partition for {shown}: materialize {asset} for {'them' if len(gaps) > 1 else 'it'} first"
            )

    def assets_with_data(self) -> list[str]:
        return sorted(name for name in self.storage.asset_folders(PARTITION_FILE) if SAFE_NAME.match(name))

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection that reads this warehouse's files (an object store's too)."""
        return self.storage.register(duckdb.connect())

    def refresh_catalog(self, connect: ConnectionFactory) -> list[str]:
        """(Re)create one view per asset over all its partitions in the catalog database; returns the views."""
        assets = self.assets_with_data()
        root = self.root.resolve() if isinstance(self.root, Path) else self.root
        with connect() as con:
            self.storage.register(con)
            for asset in assets:
                pattern = sql_path(f"{glob_literal(self.storage.join(root, asset))}/*/{PARTITION_FILE}")
                con.execute(
                    f"CREATE OR REPLACE VIEW {quote_identifier(asset)} AS SELECT * FROM "
                    f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"
                )
        return assets


def sql_path(path: Location) -> str:
    """A path as a single-quoted SQL string body."""
    return str(path).replace("'", "''")


def glob_literal(path: Location) -> str:
    """A path DuckDB's file globbing matches literally: `[`, `*` and `?` in folder names (`x [1]`) are escaped."""
    return "".join(f"[{char}]" if char in "[*?" else char for char in str(path))


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
