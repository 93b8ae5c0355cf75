"""One way to open a cache's database: the SQLite file (WAL, a busy timeout, real transactions) or PostgreSQL
(psycopg2, a small pool), with the cache's tables created when missing."""

import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError

from content_pipeline.cache_store.location import CacheLocation, DatabaseUrl
from content_pipeline.redaction import Redactor
from content_pipeline.sqlite_file import BUSY_TIMEOUT_S, use_wal

POOL_SIZE = 2  # a cache object is used by one thread at a time, plus the claim heartbeat
CONNECT_TIMEOUT_S = 10  # a shared cache that does not answer fails the run with a message instead of hanging
NO_BEGIN = "content_pipeline_no_begin"  # an execution option: SQLite statements in autocommit, for lookups
SCHEMA_LOCK = 7_366_001  # the advisory lock that serializes creating the tables among workers starting together
MAX_REASON_CHARS = 160


class CacheDatabaseError(RuntimeError):
    """The shared cache's database cannot be reached or used; the message names the setting, the database (its
    password hidden) and why. A system failure: the run step fails, and its retry policy may try again."""


def open_database(location: CacheLocation, tables: MetaData, setting: str) -> Engine:
    """An engine on `location` (the value of the variable `setting`) with `tables` created if missing."""
    engine = postgres_engine(location) if isinstance(location, DatabaseUrl) else sqlite_engine(location)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":  # concurrent CREATE TABLE IF NOT EXISTS can still collide
                conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": SCHEMA_LOCK})
            tables.create_all(conn, checkfirst=True)
    except DBAPIError as exc:
        engine.dispose()
        if not isinstance(location, DatabaseUrl):
            raise
        raise unusable(location, setting, exc) from None
    return engine


def check_database(location: DatabaseUrl, setting: str) -> None:
    """CacheDatabaseError when the database cannot be signed in to (one connection, then let go)."""
    engine = postgres_engine(location)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise unusable(location, setting, exc) from None
    finally:
        engine.dispose()


def unusable(location: DatabaseUrl, setting: str, error: DBAPIError) -> CacheDatabaseError:
    return CacheDatabaseError(
        f"{setting}: cannot use the shared cache database {location.shown}: {reason(error, location)}; "
        "fix the URL's host, port, user, password or database name, or start the database"
    )


def reason(error: DBAPIError, location: DatabaseUrl) -> str:
    """What went wrong in a few words: the driver's first line without its preamble, the password never in it."""
    said = (
        str(error.orig or error).strip().splitlines()[0] if str(error.orig or error).strip() else type(error).__name__
    )
    said = re.sub(r"^connection to server at .*? failed: ", "", said)  # the host and port are in the URL shown
    said = re.sub(r"^(FATAL|ERROR):\s+", "", said).strip()
    if said == "timeout expired":
        said = f"no answer within {CONNECT_TIMEOUT_S} s"
    elif said == "Connection refused":
        said = "connection refused (is PostgreSQL running and listening there?)"
    said = said[:1].lower() + said[1:]
    return Redactor([location.url.password]).cut(said, MAX_REASON_CHARS)


def sqlite_engine(path: Path) -> Engine:
    """The SQLite file in WAL mode (readers never block the writer); a transaction is a real BEGIN ... COMMIT."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        URL.create("sqlite", database=str(path)),  # not a URL string: a `?` or `#` in a folder's name stays a name
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},  # the pool lends it to one thread
        hide_parameters=True,  # a failed statement's message never carries a page's body or an answer
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's own BEGIN handling off: SQLAlchemy's below instead
        use_wal(dbapi_connection)
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    # A transaction writes, so it takes the write lock as it begins: a deferred BEGIN that reads first and then
    # writes fails at once with "database is locked" when another process wrote meanwhile (SQLite cannot upgrade
    # such a read without breaking its snapshot, so it does not wait), as two workers racing on a new cache showed.
    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        if not conn.get_execution_options().get(NO_BEGIN):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def postgres_engine(url: DatabaseUrl) -> Engine:
    return create_engine(
        url.url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_SIZE,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        hide_parameters=True,  # a failed statement's message never carries a page's body or an answer
    )
