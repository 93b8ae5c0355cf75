"""The few statements the caches need, written once for both dialects: upserts and batched `IN` lookups."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Select, Table
from sqlalchemy.dialects import postgresql, sqlite

IN_BATCH = 500  # values bound in one `IN (...)` (SQLite builds before 3.32 allow 999 parameters in all)


def dialect_insert(conn: Connection, table: Table) -> Any:
    """INSERT for `conn`'s dialect, the one with ON CONFLICT clauses."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def last_per_key(rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[Mapping[str, Any]]:
    """One row per key (the last one given), in key order: a statement never touches a row twice, and concurrent
    writers lock rows in the same order (no deadlock on PostgreSQL)."""
    kept = {tuple(row[k] for k in keys): row for row in rows}
    return [kept[key] for key in sorted(kept)]


def upsert(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert `rows`, replacing the other columns of a row whose primary key is already there."""
    keys = [c.name for c in table.primary_key.columns]
    batch = last_per_key(rows, keys)
    if not batch:
        return
    insert = dialect_insert(conn, table)
    others = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(insert.on_conflict_do_update(index_elements=keys, set_=others), batch)


def insert_missing(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert the `rows` whose primary key is not there yet; leave the others as they are."""
    batch = last_per_key(rows, [c.name for c in table.primary_key.columns])
    if batch:
        conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(), batch)


def rows_in(
    conn: Connection, query: Select[Any], column: Column[Any], values: Iterable[object]
) -> Iterator[Sequence[Any]]:
    """The rows of `query` whose `column` is one of `values` (each distinct value once), a batch at a time."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), IN_BATCH):
        yield from conn.execute(query.where(column.in_(wanted[start : start + IN_BATCH])))
