"""How a cache runs its hot statements: lookups made once per item, and the batches of rows it writes.

Every statement is built with SQLAlchemy Core, once, for both dialects. PostgreSQL runs it through SQLAlchemy: a
pooled connection per call, lookups in autocommit (one round trip, not BEGIN, SELECT, ROLLBACK), so calls may come
from any number of threads. SQLite runs the statement compiled once on the DBAPI connection that each thread keeps
open: SQLAlchemy's own work per execution (~35 us of CPU), a pool checkout and a BEGIN per call tripled the HTTP
cache's per-URL lookup (~35 us) and cost the fetch stage ~20% more CPU a page. Lookups run in autocommit, so each
sees everything committed before it; a write is one BEGIN ... COMMIT.
"""

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Executable, text

from content_pipeline.cache_store.database import NO_BEGIN

Step = tuple[Executable, Sequence[Mapping[str, Any]]]  # a statement and the rows it runs for (executemany)


class StatementRunner:
    """Runs one cache's lookups and writes on its engine."""

    def __init__(self, engine: Engine) -> None:
        self.kept_open = engine.dialect.name == "sqlite"
        options: dict[str, Any] = {NO_BEGIN: True} if self.kept_open else {"isolation_level": "AUTOCOMMIT"}
        self.engine = engine
        self.reads = engine.execution_options(**options)
        self.local = threading.local()
        self.opened: list[Connection] = []
        self.compiled: dict[Executable, tuple[str, tuple[str, ...]]] = {}  # statement -> SQLite's SQL, its names

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for lookups through SQLAlchemy (SQLite: this thread's, kept open)."""
        if not self.kept_open:
            with self.reads.connect() as conn:
                yield conn
            return
        yield self.kept()

    def kept(self) -> Connection:
        conn: Connection | None = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = self.reads.connect()
            self.opened.append(conn)
        return conn

    def sqlite_sql(self, statement: Executable) -> tuple[str, tuple[str, ...]]:
        """The statement's SQL for SQLite and its parameters' names in order, compiled once."""
        compiled = self.compiled.get(statement)
        if compiled is None:
            done = statement.compile(dialect=self.engine.dialect)  # type: ignore[attr-defined]
            compiled = self.compiled[statement] = (done.string, tuple(done.positiontup or ()))
        return compiled

    def first(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """The first row of `statement`, for a lookup made once per item."""
        if not self.kept_open:
            with self.connect() as conn:
                return conn.execute(statement, params).first()
        sql, names = self.sqlite_sql(statement)
        driver: Any = self.kept().connection.driver_connection
        row: Sequence[Any] | None = driver.execute(sql, tuple(params[name] for name in names)).fetchone()
        return row

    def write(self, steps: Sequence[Step], shared_lock: int | None = None) -> None:
        """Run `steps` (those with rows) in one transaction; on PostgreSQL holding advisory lock `shared_lock` shared
        until it commits (SQLite writers are one at a time anyway)."""
        steps = [(statement, rows) for statement, rows in steps if rows]
        if not steps:
            return
        if not self.kept_open:
            with self.engine.begin() as conn:
                if shared_lock is not None:
                    conn.execute(text("SELECT pg_advisory_xact_lock_shared(:lock)"), {"lock": shared_lock})
                for statement, rows in steps:
                    conn.execute(statement, rows)
            return
        driver: Any = self.kept().connection.driver_connection
        driver.execute("BEGIN")
        try:
            for statement, rows in steps:
                sql, names = self.sqlite_sql(statement)
                driver.executemany(sql, [tuple(row[name] for name in names) for row in rows])
            driver.execute("COMMIT")
        except BaseException:
            driver.execute("ROLLBACK")
            raise

    def close(self) -> None:
        for conn in self.opened:
            conn.close()
        self.opened.clear()
