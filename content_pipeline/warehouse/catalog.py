"""The DuckDB catalog file, opened for writing with a short wait: another process may hold it open.

DuckDB admits one process per database file, and a reader holding it read-only blocks a writer too. The views are
globs over the parquet files, so views that exist already see every new partition: when the file is held, a run
gives up on refreshing them after a moment instead of waiting for the reader.

The catalog file is always local. Over an object-store warehouse its views read `s3://` URLs, through s3fs registered
on the connection (DuckDB 2.0.1 has no httpfs build to download here): every connection that queries them registers
it, as `open_catalog` and `register_warehouse` do.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from content_pipeline.warehouse.storage import Location, WarehouseStorage, is_object_store, storage_at

CATALOG_WAIT_S = 1.5  # how long a refresh waits for another process to let go of the catalog file
RETRY_EVERY_S = 0.1


class CatalogBusyError(Exception):
    """Another process holds the catalog file open; the message says so and what still works."""


@contextmanager
def open_catalog(
    path: Path, wait_s: float = CATALOG_WAIT_S, storage: WarehouseStorage | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the catalog (reading `storage`'s files when given); CatalogBusyError when it stays
    held for `wait_s`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            connection = duckdb.connect(str(path))
            break
        except duckdb.IOException as exc:
            if time.monotonic() >= deadline:
                raise CatalogBusyError(
                    f"catalog {path} not refreshed: another process holds it open (a reader such as "
                    f"`content-pipeline sql` or a DuckDB client), still after {wait_s:g} s ({exc}); "
                    "the views that exist already see every partition"
                ) from exc
            time.sleep(RETRY_EVERY_S)
    try:
        yield connection if storage is None else storage.register(connection)
    finally:
        connection.close()


def register_warehouse(connection: duckdb.DuckDBPyConnection, root: Location) -> duckdb.DuckDBPyConnection:
    """`connection`, able to read the views of a catalog over the warehouse at `root` (s3fs for an object store)."""
    return storage_at(root).register(connection) if is_object_store(root) else connection
