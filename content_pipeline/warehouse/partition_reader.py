"""Read a stored partition a slice of rows at a time, only the columns asked for, without loading the rest.

The file stays open for the reader's life: a rerun of the upstream stage that replaces the file meanwhile (a rename,
or a new object in an object store, which the reader downloaded when opened) does not change what this reader sees.
Decoding a row group of page bodies leaves several times its size of freed buffers in Arrow's pool, so the reader
hands them back to the system as it goes (see free_memory).
"""

import bisect
import math
from collections.abc import Iterator, Sequence
from types import TracebackType

import polars as pl
import pyarrow.parquet as pq

from content_pipeline.free_memory import release_now_and_then
from content_pipeline.warehouse.storage import Location, WarehouseStorage


class PartitionReader:
    def __init__(self, path: Location, storage: WarehouseStorage | None = None) -> None:
        self.path = path
        if storage is None:
            self.file = pq.ParquetFile(path)
            self._close = self.file.close
        else:
            self.file, self._close = storage.open_parquet(path)
        metadata = self.file.metadata
        self.rows = metadata.num_rows
        self.starts = [0]  # first row of each row group, then the total
        for group in range(metadata.num_row_groups):
            self.starts.append(self.starts[-1] + metadata.row_group(group).num_rows)
        self.columns = self.file.schema_arrow.names

    def __enter__(self) -> "PartitionReader":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._close()

    def chunk_count(self, chunk_rows: int) -> int:
        """Chunks of `chunk_rows` the partition makes; at least one, so an empty day still gives its (empty) chunk."""
        return max(1, math.ceil(self.rows / chunk_rows))

    def slice(self, start: int, stop: int, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """Rows [start, stop) with `columns` (those the file has; all when None), reading only the row groups needed."""
        wanted = [c for c in columns if c in self.columns] if columns is not None else list(self.columns)
        stop = min(stop, self.rows)
        if start >= stop:
            table = self.file.schema_arrow.empty_table().select(wanted)
            return _frame(table)
        first = bisect.bisect_right(self.starts, start) - 1
        last = bisect.bisect_left(self.starts, stop) - 1
        groups = list(range(first, last + 1))
        table = self.file.read_row_groups(groups, columns=wanted)
        offset = start - self.starts[first]
        data = _frame(table.slice(offset, stop - start))
        del table
        release_now_and_then()
        return data

    def chunk(self, index: int, chunk_rows: int, columns: Sequence[str] | None = None) -> pl.DataFrame:
        return self.slice(index * chunk_rows, (index + 1) * chunk_rows, columns)

    def chunks(
        self, chunk_rows: int, columns: Sequence[str] | None = None, skip: set[int] | frozenset[int] = frozenset()
    ) -> Iterator[tuple[int, pl.DataFrame]]:
        """(index, rows) of every chunk not in `skip`, in order, each read when the iteration reaches it."""
        for index in range(self.chunk_count(chunk_rows)):
            if index not in skip:
                yield index, self.chunk(index, chunk_rows, columns)


def _frame(table: object) -> pl.DataFrame:
    data = pl.from_arrow(table)  # type: ignore[arg-type]
    assert isinstance(data, pl.DataFrame)
    return data
