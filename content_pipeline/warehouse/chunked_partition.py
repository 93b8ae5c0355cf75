"""A partition written chunk by chunk and committed at once; the chunks already written survive a crash.

While a stage works through a day, each finished chunk is a parquet file of its own under
`<root>/.staging/<asset>/date=<day>/chunk-NNNNNN.parquet` (written whole or not at all). `commit()` copies them in
order, one row group per chunk, into a new `part.parquet` that replaces the old one at once (a rename in a folder, one
upload in an object store, see storage.py): a reader sees the old partition or the new one, never half of one. A
later run of the same day with the same `stamp` (the upstream partition it read and the settings that shape its
output) keeps the chunks that are there and does only the others; another stamp starts over.

While committing, the rows' content version is computed and a slim copy of the partition is kept for checks and
metadata: every column but the `light` ones (bodies, texts, descriptions...) is replaced by typed nulls there, so it
stays small at any size.
"""

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from content_pipeline.free_memory import release_now_and_then
from content_pipeline.warehouse.content_hash import ContentVersion
from content_pipeline.warehouse.storage import Location, WarehouseStorage

STAGING = ".staging"
STAMP_FILE = "stamp.json"
CHUNK_GLOB = "chunk-*.parquet"
# keys of the partition file's footer (parquet key-value metadata)
CONTENT_VERSION_KEY = "content_pipeline.content_version"  # see content_hash.py
MADE_FROM_KEY = "content_pipeline.made_from"  # the stamp and the upstream's version, when the stage may keep it


@dataclass(frozen=True)
class CommittedPartition:
    """What `commit` stored: the file, its rows, its content version and the slim copy of its rows."""

    path: Location
    rows: int
    content_version: str
    summary: pl.DataFrame  # every column, with all but the light ones as nulls


def to_arrow(data: pl.DataFrame) -> pa.Table:
    """Arrow without view types, so every parquet reader (DuckDB, pyarrow, polars) reads the file alike."""
    return data.to_arrow(compat_level=pl.CompatLevel.oldest())


def left_out_of_summary(names: Iterable[str], light: Iterable[str] | None) -> list[str]:
    """The columns among `names` that a slim copy holds as nulls: all but `light` (none when `light` is None)."""
    if light is None:
        return []
    kept = set(light)
    return [name for name in names if name not in kept]


class ChunkedPartition:
    """One stage's partition of one day while it is being written chunk by chunk."""

    def __init__(
        self,
        storage: WarehouseStorage,
        asset: str,
        day: str,
        target: Location,
        stamp: str,
        light: Iterable[str] | None = None,
    ) -> None:
        self.storage = storage
        self.folder = storage.join(storage.root, STAGING, asset, f"date={day}")
        self.asset, self.day, self.target, self.stamp = asset, day, target, stamp
        self.light = None if light is None else frozenset(light)  # the only columns the slim copy holds (None: all)
        self._chunk_versions: dict[int, ContentVersion] | None = None  # see `hash_as_stored`
        self._versions_lock = threading.Lock()
        self._volatile: tuple[str, ...] = ()
        self._keep_or_start_over()

    def _keep_or_start_over(self) -> None:
        stamp_path = self.storage.join(self.folder, STAMP_FILE)
        text = self.storage.read_text(stamp_path)
        if text is not None:
            try:
                kept = json.loads(text).get("stamp")
            except (ValueError, AttributeError):
                kept = None
            if kept == self.stamp:
                return
        self.storage.remove_tree(self.folder)
        self.storage.make_folder(self.folder)
        self.storage.write_text(stamp_path, json.dumps({"stamp": self.stamp}))

    def chunk_path(self, index: int) -> Location:
        return self.storage.join(self.folder, f"chunk-{index:06d}.parquet")

    def done(self) -> set[int]:
        """Indexes of the chunks already written (by this run or by an earlier one with the same stamp)."""
        return {int(name.split(".")[0].split("-")[1]) for name in self.storage.names(self.folder, CHUNK_GLOB)}

    def write_chunk(self, index: int, data: pl.DataFrame) -> None:
        """Store one finished chunk (atomically: a crash leaves it whole or absent)."""
        if self._chunk_versions is not None:
            version = ContentVersion(self._volatile)
            version.add(data)
            with self._versions_lock:
                self._chunk_versions[index] = version
        self.storage.write_table(self.chunk_path(index), to_arrow(data))

    def hash_as_stored(self, volatile: Iterable[str] = ()) -> None:
        """Hash each chunk's rows as `write_chunk` stores it, so `content_version` need not read the day again."""
        self._volatile = tuple(volatile)
        self._chunk_versions = {}

    def content_version(self, chunks: int) -> str:
        """The content version chunks 0..chunks-1 would commit as (without `hash_as_stored`'s volatile columns);
        chunks stored before `hash_as_stored` (by an interrupted run) are read to hash them."""
        version = ContentVersion(self._volatile)
        hashed = dict(self._chunk_versions or {})
        for index in range(chunks):
            if index not in hashed:
                data = pl.from_arrow(self.storage.read_table(self.chunk_path(index)))
                assert isinstance(data, pl.DataFrame)
                hashed[index] = ContentVersion(self._volatile)
                hashed[index].add(data)
            version.extend(hashed[index])
        return version.digest()

    def summary(self, chunks: int) -> pl.DataFrame:
        """The slim copy of chunks 0..chunks-1 (left-out columns as typed nulls), read without the left-out columns."""
        parts: list[pl.DataFrame] = []
        for index in range(chunks):
            path = self.chunk_path(index)
            schema = self.storage.read_schema(path)
            left_out = self.left_out_of(schema.names)
            light = [name for name in schema.names if name not in left_out]
            data = pl.from_arrow(self.storage.read_table(path, columns=light))
            assert isinstance(data, pl.DataFrame)
            empty = pl.from_arrow(schema.empty_table().select(left_out))
            assert isinstance(empty, pl.DataFrame)
            nulls = [pl.lit(None, dtype).alias(name) for name, dtype in empty.schema.items()]
            parts.append(data.with_columns(nulls).select(schema.names))
        return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()

    def commit(
        self,
        chunks: int,
        volatile: Iterable[str] = (),
        on_chunk: Callable[[pl.DataFrame], None] | None = None,
        made_from: Callable[[pl.DataFrame], str | None] | None = None,
    ) -> CommittedPartition:
        """Copy chunks 0..chunks-1 into the partition file at once, then drop the staging folder.

        `volatile` columns are left out of the content version; `on_chunk` sees every chunk's rows as they pass
        (for totals a stage keeps of its own); `made_from(summary)` gives what the footer records the partition was
        made from, or None when a later run must not keep it as it is (rows a rerun may fill in)."""
        missing = sorted(set(range(chunks)) - self.done())
        if missing:
            raise RuntimeError(f"{self.asset} {self.day}: chunks {missing[:5]} were never written; cannot commit")
        version = ContentVersion(volatile)
        slim: list[pl.DataFrame] = []

        def tables() -> Iterable[pa.Table]:
            for index in range(chunks):
                table = self.storage.read_table(self.chunk_path(index))
                data = pl.from_arrow(table)
                assert isinstance(data, pl.DataFrame)
                version.add(data)
                if on_chunk is not None:
                    on_chunk(data)
                slim.append(self.slimmed(data))
                yield table
                release_now_and_then()  # what the chunks just copied used goes back to the system

        def footer() -> dict[str, str]:
            keys = {CONTENT_VERSION_KEY: version.digest()}
            origin = made_from(summary()) if made_from is not None else None
            return keys | ({MADE_FROM_KEY: origin} if origin else {})

        def summary() -> pl.DataFrame:
            return pl.concat(slim, how="vertical_relaxed") if slim else pl.DataFrame()

        rows = self.storage.write_parquet(self.target, tables(), footer=footer)
        self.storage.remove_tree(self.folder)
        return CommittedPartition(self.target, rows, version.digest(), summary())

    def left_out_of(self, names: Iterable[str]) -> list[str]:
        """The columns among `names` that the slim copy holds as nulls."""
        return left_out_of_summary(names, self.light)

    def slimmed(self, data: pl.DataFrame) -> pl.DataFrame:
        left_out = self.left_out_of(data.columns)
        return data.with_columns(pl.lit(None, data.schema[c]).alias(c) for c in left_out) if left_out else data

    def discard(self) -> None:
        self.storage.remove_tree(self.folder)
