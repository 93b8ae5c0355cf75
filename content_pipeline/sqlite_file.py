"""The SQLite files beside the warehouse (HTTP cache, AI cache): one way to open them, safe across processes."""

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_S = 30.0  # another run (another partition) may be writing at the same moment
WAL_RETRY_S = 0.05


def use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL mode (readers never block the writer). Two processes opening a new file at once can
    get "database is locked" here at once, without SQLite's busy wait (seen with two workers racing on one cache),
    so the switch is tried again for up to BUSY_TIMEOUT_S; once the file is in WAL mode it is a no-op."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)


def open_sqlite(path: Path, schema: str) -> sqlite3.Connection:
    """An autocommit connection in WAL mode (readers never block the writer), with `schema` created if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    use_wal(db)
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db


IN_BATCH = 500  # values bound in one `IN (...)` (SQLite builds before 3.32 allow 999 parameters in all)


def select_in(
    db: sqlite3.Connection, query: str, values: Iterable[object], before: Sequence[object] = ()
) -> Iterator[tuple[Any, ...]]:
    """The rows of `query` (which ends in `IN`) for each distinct value of `values`, a batch of values at a time;
    `before` are the parameters that come ahead of the list."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), IN_BATCH):
        batch = wanted[start : start + IN_BATCH]
        yield from db.execute(f"{query} ({', '.join('?' * len(batch))})", (*before, *batch)).fetchall()
