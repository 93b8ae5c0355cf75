"""The SQLite files beside the warehouse (HTTP cache, AI cache): one way to open them, safe across processes."""

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_S = 30.0  # another run (another partition) may be writing at the same moment


def open_sqlite(path: Path, schema: str) -> sqlite3.Connection:
    """An autocommit connection in WAL mode (readers never block the writer), with `schema` created if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db
