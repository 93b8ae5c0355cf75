"""The HTTP cache beside the warehouse (SQLite): validators for conditional requests, and a per-partition
journal of finished fetches so a crashed or retried run does not fetch them again.

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

from content_pipeline.fetch.models import FetchResult
from content_pipeline.sqlite_file import open_sqlite, select_in
from content_pipeline.status import FetchStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS bodies (sha256 TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, result TEXT NOT NULL, body_sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    partition TEXT NOT NULL, record_id TEXT NOT NULL, url TEXT NOT NULL, result TEXT NOT NULL, body_sha256 TEXT,
    PRIMARY KEY (partition, record_id)
);
"""
WRITE_BATCH = 256  # most outcomes the writer thread commits in one transaction
WRITE_QUEUE_MAX = 256  # outcomes waiting for the writer thread (with their bodies) before fetching waits for it


class HttpCache:
    """One SQLite file; safe to share between processes (WAL); every write is committed at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_sqlite(path, SCHEMA)

    def close(self) -> None:
        self.db.close()

    def stored(self, url: str) -> FetchResult | None:
        """The last successful response for `url` that carried an ETag or Last-Modified, with its body."""
        row = self.db.execute(
            "SELECT v.result, b.body FROM validators v JOIN bodies b ON b.sha256 = v.body_sha256 WHERE v.url = ?",
            (url,),
        ).fetchone()
        return from_json(row[0], row[1]) if row else None

    def store(self, outcomes: Sequence[tuple[FetchResult, str | None]]) -> None:
        """Keep what fetches taught, in one transaction: the validators and body of each fresh successful response
        (for the next run's conditional request) and, with a partition, the journal entry of each finished fetch."""
        self.db.execute("BEGIN")
        try:
            for result, partition in outcomes:
                self.store_one(result, partition)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def store_one(self, result: FetchResult, partition: str | None) -> None:
        fresh = result.status == FetchStatus.OK and result.cache is None and bool(result.etag or result.last_modified)
        journal = partition is not None and result.finished
        if not (fresh or journal):
            return
        text = to_json(result)
        digest = self.put_body(result.body) if result.body is not None else None
        if fresh:
            self.db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?)", (result.url, text, digest))
        if journal:
            self.db.execute(
                "INSERT OR REPLACE INTO journal VALUES (?, ?, ?, ?, ?)",
                (partition, result.record_id, result.url, text, digest),
            )

    def journal(self, partition: str, record_ids: Sequence[str] | None = None) -> dict[str, FetchResult]:
        """Finished fetches of `partition` whose run did not complete, by record id (only `record_ids`' when given:
        a day's chunk at a time, so a resumed day never holds all its bodies at once)."""
        query = (
            "SELECT j.result, b.body FROM journal j LEFT JOIN bodies b ON b.sha256 = j.body_sha256"
            " WHERE j.partition = ?"
        )
        if record_ids is None:
            rows = self.db.execute(query, (partition,)).fetchall()
        else:
            rows = list(select_in(self.db, f"{query} AND j.record_id IN", record_ids, before=(partition,)))
        results = [from_json(text, body) for text, body in rows]
        return {r.record_id: r for r in results}

    def close_partition(self, partition: str) -> None:
        """The partition is stored: forget its journal and drop bodies nothing refers to any more."""
        self.db.execute("DELETE FROM journal WHERE partition = ?", (partition,))
        self.db.execute(
            "DELETE FROM bodies WHERE sha256 NOT IN (SELECT body_sha256 FROM validators)"
            " AND sha256 NOT IN (SELECT body_sha256 FROM journal WHERE body_sha256 IS NOT NULL)"
        )

    def put_body(self, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO bodies VALUES (?, ?)", (digest, body))
        return digest


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

    def __init__(self, path: Path) -> None:
        self.path = path
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
            cache = HttpCache(self.path)
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
            raise RuntimeError(f"the HTTP cache {self.path} could not be written: {self.error}") from self.error
