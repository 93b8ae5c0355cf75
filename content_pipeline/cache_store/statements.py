"""The few statements the caches need, written once for both dialects: upserts and batched `IN` lookups."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Select, Table
from sqlalchemy.dialects import postgresql, sqlite

IN_BATCH = 500  # values bound in one `IN (...)` (SQLite builds before 3.32 allow 999 parameters in all)
BUILT: dict[tuple[str, str, str], Any] = {}  # (dialect, table, kind) -> the statement, built once: building one
# and computing its cache key cost ~100 us of CPU, more than running it on SQLite


def built(dialect: str, table: Table, kind: str) -> Any:
    """The upsert (`kind` "update") or insert-if-missing ("nothing") of `table` for `dialect`, built once."""
    key = (dialect, table.name, kind)
    statement = BUILT.get(key)
    if statement is None:
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        if kind == "nothing":
            statement = insert.on_conflict_do_nothing()
        else:
            keys = [c.name for c in table.primary_key.columns]
            others = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
            statement = insert.on_conflict_do_update(index_elements=keys, set_=others)
        BUILT[key] = statement
    return statement


def last_per_key(rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[Mapping[str, Any]]:
    """One row per key (the last one given), in key order: a statement never touches a row twice, and concurrent
    writers lock rows in the same order (no deadlock on PostgreSQL)."""
    kept = {tuple(row[k] for k in keys): row for row in rows}
    return [kept[key] for key in sorted(kept)]


def upsert(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert `rows`, replacing the other columns of a row whose primary key is already there."""
    batch = unique_rows(table, rows)
    if batch:
        conn.execute(built(conn.dialect.name, table, "update"), batch)


def unique_rows(table: Table, rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """`last_per_key` by `table`'s primary key."""
    return last_per_key(rows, [c.name for c in table.primary_key.columns])


def insert_missing(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert the `rows` whose primary key is not there yet; leave the others as they are."""
    batch = unique_rows(table, rows)
    if batch:
        conn.execute(built(conn.dialect.name, table, "nothing"), batch)


def rows_in(
    conn: Connection, query: Select[Any], column: Column[Any], values: Iterable[object]
) -> Iterator[Sequence[Any]]:
    """The rows of `query` whose `column` is one of `values` (each distinct value once), a batch at a time."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), IN_BATCH):
        yield from conn.execute(query.where(column.in_(wanted[start : start + IN_BATCH])))
