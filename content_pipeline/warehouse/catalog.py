"""The DuckDB catalog file, opened for writing with a short wait: another process may hold it open.

DuckDB admits one process per database file, and a reader holding it read-only blocks a writer too. The views are
globs over the parquet files, so views that exist already see every new partition: when the file is held, a run
gives up on refreshing them after a moment instead of waiting for the reader.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

CATALOG_WAIT_S = 1.5  # how long a refresh waits for another process to let go of the catalog file
RETRY_EVERY_S = 0.1


class CatalogBusyError(Exception):
    """Another process holds the catalog file open; the message says so and what still works."""


@contextmanager
def open_catalog(path: Path, wait_s: float = CATALOG_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the catalog; CatalogBusyError when it stays held for `wait_s`."""
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
        yield connection
    finally:
        connection.close()
