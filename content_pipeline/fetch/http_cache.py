"""The HTTP cache (a SQLite file beside the warehouse, or a shared PostgreSQL database): validators for conditional
requests, and a per-partition journal of finished fetches so a crashed or retried run does not fetch them again.

Bodies are stored once, by content hash, and shared by the validator rows and the journal rows.
"""

import asyncio
import copy
import dataclasses
import hashlib
import json
import queue
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, Table, Text, bindparam, delete, select, text

from content_pipeline.cache_store.database import open_database
from content_pipeline.cache_store.location import HTTP_CACHE_SETTING, CacheLocation, DatabaseUrl, cache_location, shown
from content_pipeline.cache_store.runner import StatementRunner
from content_pipeline.cache_store.statements import built, rows_in, unique_rows
from content_pipeline.fetch.models import FetchResult
from content_pipeline.status import FetchStatus

TABLES = MetaData()
BODIES = Table("bodies", TABLES, Column("sha256", Text, primary_key=True), Column("body", LargeBinary, nullable=False))
VALIDATORS = Table(
    "validators",
    TABLES,
    Column("url", Text, primary_key=True),
    Column("result", Text, nullable=False),
    Column("body_sha256", Text, nullable=False),
)
JOURNAL = Table(
    "journal",
    TABLES,
    Column("partition", Text, primary_key=True),
    Column("record_id", Text, primary_key=True),
    Column("url", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("body_sha256", Text),
)
STORED = (  # built once: building a statement costs more than running it on SQLite (once a URL)
    select(VALIDATORS.c.result, BODIES.c.body)
    .join(BODIES, BODIES.c.sha256 == VALIDATORS.c.body_sha256)
    .where(VALIDATORS.c.url == bindparam("url"))
)
BODIES_LOCK = 7_366_002  # PostgreSQL: writers hold it shared, dropping unreferenced bodies alone
WRITE_BATCH = 256  # most outcomes the writer thread commits in one transaction
WRITE_QUEUE_MAX = 256  # outcomes waiting for the writer thread (with their bodies) before fetching waits for it


class HttpCache:
    """A SQLite file or a shared PostgreSQL database; safe to share between processes; every write is committed at
    once."""

    def __init__(self, location: "str | Path | DatabaseUrl") -> None:
        self.location: CacheLocation = cache_location(location)
        self.engine = open_database(self.location, TABLES, HTTP_CACHE_SETTING)
        self.runner = StatementRunner(self.engine)

    @property
    def shared(self) -> bool:
        """Whether the cache is a database other machines may use too."""
        return isinstance(self.location, DatabaseUrl)

    def close(self) -> None:
        self.runner.close()
        self.engine.dispose()

    def stored(self, url: str) -> FetchResult | None:
        """The last successful response for `url` that carried an ETag or Last-Modified, with its body."""
        row = self.runner.first(STORED, {"url": url})
        return from_json(row[0], row[1]) if row else None

    def store(self, outcomes: Sequence[tuple[FetchResult, str | None]]) -> None:
        """Keep what fetches taught, in one transaction: the validators and body of each fresh successful response
        (for the next run's conditional request) and, with a partition, the journal entry of each finished fetch."""
        bodies: list[dict[str, Any]] = []
        validators: list[dict[str, Any]] = []
        journal: list[dict[str, Any]] = []
        for result, partition in outcomes:
            fresh = (
                result.status == FetchStatus.OK and result.cache is None and bool(result.etag or result.last_modified)
            )
            journaled = partition is not None and result.finished
            if not (fresh or journaled):
                continue
            text_ = to_json(result)
            digest = None
            if result.body is not None:
                digest = hashlib.sha256(result.body).hexdigest()
                bodies.append({"sha256": digest, "body": result.body})
            if fresh:
                validators.append({"url": result.url, "result": text_, "body_sha256": digest})
            if journaled:
                journal.append(
                    {"partition": partition, "record_id": result.record_id, "url": result.url, "result": text_,
                     "body_sha256": digest}
                )  # fmt: skip
        dialect = self.engine.dialect.name
        steps = [
            (built(dialect, BODIES, "nothing"), unique_rows(BODIES, bodies)),
            (built(dialect, VALIDATORS, "update"), unique_rows(VALIDATORS, validators)),
            (built(dialect, JOURNAL, "update"), unique_rows(JOURNAL, journal)),
        ]
        self.runner.write(steps, shared_lock=BODIES_LOCK)  # see close_partition

    def journal(self, partition: str, record_ids: Sequence[str] | None = None) -> dict[str, FetchResult]:
        """Finished fetches of `partition` whose run did not complete, by record id (only `record_ids`' when given:
        a day's chunk at a time, so a resumed day never holds all its bodies at once)."""
        query = (
            select(JOURNAL.c.result, BODIES.c.body)
            .outerjoin(BODIES, BODIES.c.sha256 == JOURNAL.c.body_sha256)
            .where(JOURNAL.c.partition == partition)
        )
        with self.runner.connect() as conn:
            rows: list[Sequence[Any]]
            if record_ids is None:
                rows = list(conn.execute(query))
            else:
                rows = list(rows_in(conn, query, JOURNAL.c.record_id, record_ids))
        results = [from_json(text_, body) for text_, body in rows]
        return {r.record_id: r for r in results}

    def close_partition(self, partition: str) -> None:
        """The partition is stored: forget its journal and drop bodies nothing refers to any more."""
        referenced = select(VALIDATORS.c.body_sha256).union(
            select(JOURNAL.c.body_sha256).where(JOURNAL.c.body_sha256.is_not(None))
        )
        with self.engine.begin() as conn:
            conn.execute(delete(JOURNAL).where(JOURNAL.c.partition == partition))
            if conn.dialect.name == "postgresql":  # writers hold BODIES_LOCK shared until they commit: dropping
                # the bodies nothing refers to waits for them, so it never drops one a writer is about to refer to
                conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": BODIES_LOCK})
            conn.execute(delete(BODIES).where(BODIES.c.sha256.not_in(referenced)))


def to_json(result: FetchResult) -> str:
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != "body"}
    fields["fetched_at"] = result.fetched_at.isoformat() if result.fetched_at else None
    return json.dumps(fields)


def from_json(text: str, body: bytes | None) -> FetchResult:
    fields = json.loads(text)
    fields["status"] = FetchStatus(fields["status"])
    fields["fetched_at"] = datetime.fromisoformat(fields["fetched_at"]) if fields["fetched_at"] else None
    known = {f.name for f in dataclasses.fields(FetchResult)}
    return FetchResult(**{k: v for k, v in fields.items() if k in known}, body=body)


class CacheWriter:
    """Stores fetch outcomes from one background thread, in order, so hashing and SQLite stay off the event loop.

    The thread has its own connection (WAL lets the loop's connection read meanwhile) and commits whatever has
    queued up since its last commit in one transaction, so a crash loses at most the last moments of work.
    `close` waits for every write and raises if one failed: an unwritable cache is a system failure.
    """

    def __init__(self, location: CacheLocation) -> None:
        self.location = location
        self.queue: queue.Queue[tuple[FetchResult, str | None] | None] = queue.Queue(WRITE_QUEUE_MAX)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, name="http-cache-writer", daemon=True)
        self.thread.start()

    def submit(self, result: FetchResult, partition: str | None) -> None:
        """Store `result` as it is now: a copy is queued, so nothing the caller changes later can race the writer
        (a stored result is handed back as it was: by a 304, or by the journal)."""
        self.queue.put((copy.copy(result), partition))

    async def submit_async(self, result: FetchResult, partition: str | None) -> None:
        """`submit` from an event loop: when the writer is behind, wait for room without blocking the loop, so
        bodies never pile up in memory faster than SQLite takes them."""
        item = (copy.copy(result), partition)
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            await asyncio.to_thread(self.queue.put, item)

    def run(self) -> None:
        try:
            cache = HttpCache(self.location)
        except BaseException as exc:
            self.error = exc
            return
        try:
            done = False
            while not done:
                batch = [self.queue.get()]
                while len(batch) < WRITE_BATCH and not self.queue.empty():
                    batch.append(self.queue.get())
                done = batch[-1] is None
                cache.store([item for item in batch if item is not None])
        except BaseException as exc:
            self.error = exc
        finally:
            cache.close()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise RuntimeError(
                f"the HTTP cache {shown(self.location)} could not be written: {self.error}"
            ) from self.error
