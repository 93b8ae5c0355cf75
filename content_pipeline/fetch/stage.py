"""The fetch stage over one partition: fetch the ingested rows that are fetchable, keep every record."""

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import polars as pl

from content_pipeline.drive.image_source import SOURCE as DRIVE_SOURCE
from content_pipeline.drive.links import file_id_of
from content_pipeline.fetch.content_facts import describe_content
from content_pipeline.fetch.drive_files import DriveFileRequest, DriveFiles
from content_pipeline.fetch.http_fetcher import FetchSession, HttpFetcher
from content_pipeline.fetch.local_files import LocalFileRequest, read_local_files
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.moved_images import MovedImages
from content_pipeline.schemas import FETCH_SCHEMA, frame
from content_pipeline.stages import Stage
from content_pipeline.status import FetchStatus, IngestStatus
from content_pipeline.warehouse.chunked_stage import (
    SLIM_COPY_COLUMNS,
    ProgressHook,
    StageRun,
    finish_day,
    resume_stamp,
    same_content_day,
    start_day,
)
from content_pipeline.warehouse.content_hash import VOLATILE_COLUMNS
from content_pipeline.warehouse.partition_store import PartitionStore

INGEST_COLUMNS = ("record_id", "url", "path", "status", "reason", "source_file", "source")  # what fetch reads
FETCH_CHUNK_ROWS = 250  # ingested rows per chunk: at 30-80 KiB a page, ~15 MB of bodies
RESULT_FIELDS = tuple(f.name for f in fields(FetchResult))  # a row of the partition (a plain copy: no deep copy)
FETCH_WINDOW_CHUNKS = 4  # chunks in flight at once (bodies of at most this many chunks are held)


@dataclass(frozen=True)
class FetchOptions:
    """What a day's fetch needs besides the rows: see `fetch_partition`."""

    ignore_robots_for: Sequence[str] = ()
    image_roots: Sequence[Path] = ()
    moved: MovedImages | None = None
    drive: DriveFiles | None = None  # images from Drive folders: fetched through the Drive API


def fetch_partition(
    ingested: pl.DataFrame,
    fetcher: HttpFetcher,
    partition: str | None = None,
    ignore_robots_for: Sequence[str] = (),
    image_roots: Sequence[Path] = (),
    moved: MovedImages | None = None,
    drive: DriveFiles | None = None,
) -> pl.DataFrame:
    """One fetch row per ingested row: fetched when its ingest status is ok, `skipped` with the reason otherwise.

    `partition` names the journal that lets a rerun of a crashed run keep what it finished; `ignore_robots_for`
    holds file-name patterns of sources whose URLs are fetched without consulting robots.txt. Files from image
    folders are read from disk, and only from inside `image_roots` (images that move mode moved: where it put them);
    images from Drive folders through `drive`.
    """
    options = FetchOptions(ignore_robots_for, image_roots, moved, drive)

    async def fetch() -> pl.DataFrame:
        async with fetcher.session(partition) as session:
            return await fetch_chunk(ingested, session, fetcher.settings.max_body_bytes, options)

    return asyncio.run(fetch())


async def fetch_chunk(
    ingested: pl.DataFrame, session: FetchSession, max_body_bytes: int, options: FetchOptions
) -> pl.DataFrame:
    """`fetch_partition` of one chunk of a day's ingested rows, through a session shared by the day's chunks."""
    if "path" not in ingested.columns:  # partitions ingested before image folders existed
        ingested = ingested.with_columns(path=pl.lit(None, pl.String()))
    if "source" not in ingested.columns:
        ingested = ingested.with_columns(source=pl.lit(None, pl.String()))
    rows = ingested.select(*INGEST_COLUMNS).to_dicts()
    wanted = [r for r in rows if r["status"] == IngestStatus.OK]
    in_drive = [DriveFileRequest(r["record_id"], r["url"], file_id) for r in wanted if (file_id := drive_file(r))]
    requests = [
        FetchRequest(r["record_id"], r["url"], respect_robots=not exempt(r["source_file"], options.ignore_robots_for))
        for r in wanted
        if not r["path"] and not drive_file(r)
    ]
    files = [LocalFileRequest(r["record_id"], r["path"]) for r in wanted if r["path"]]
    from_web, from_drive = await asyncio.gather(  # both described: by the session, by fetch_drive_files
        session.fetch_many(requests), fetch_drive_files(in_drive, session, max_body_bytes, options)
    )
    fetched = {res.record_id: res for res in [*from_web, *from_drive]}
    if files:
        found = await asyncio.to_thread(read_local_files, files, options.image_roots, max_body_bytes, options.moved)
        for res in found:
            describe_content(res)
        fetched |= {res.record_id: res for res in found}
    out: list[dict[str, object]] = []
    for row in rows:
        result = fetched.get(row["record_id"])
        if result is None:
            reason = f"ingest status {row['status']}" + (f": {row['reason']}" if row["reason"] else "")
            result = FetchResult(row["record_id"], row["url"] or "", FetchStatus.SKIPPED, reason)
        record = {name: getattr(result, name) for name in RESULT_FIELDS}
        record["status"] = result.status.value
        out.append(record)
    return frame(out, FETCH_SCHEMA)


def fetch_day(
    chunks: Iterable[tuple[int, pl.DataFrame]],
    fetcher: HttpFetcher,
    partition: str,
    options: FetchOptions,
    store_chunk: Callable[[int, pl.DataFrame], None],
    window: int = FETCH_WINDOW_CHUNKS,
) -> None:
    """Fetch a day chunk by chunk: up to `window` chunks are in flight at once, so one slow URL holds back its own
    chunk, not the day; each finished chunk goes to `store_chunk` (called in one storing thread, in any order)."""

    async def run(storing: ThreadPoolExecutor) -> None:
        slots = asyncio.Semaphore(window)
        loop = asyncio.get_running_loop()
        async with fetcher.session(partition) as session:
            tasks: list[asyncio.Task[None]] = []

            async def one(index: int, ingested: pl.DataFrame) -> None:
                try:
                    data = await fetch_chunk(ingested, session, fetcher.settings.max_body_bytes, options)
                    await loop.run_in_executor(storing, store_chunk, index, data)
                finally:
                    slots.release()

            try:
                for index, ingested in chunks:
                    await slots.acquire()
                    if failed := [t.exception() for t in tasks if t.done() and t.exception() is not None]:
                        raise failed[0]  # type: ignore[misc]
                    tasks.append(asyncio.create_task(one(index, ingested)))
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()

    # one storing thread: chunks are written one after the other, so at most one chunk's frame is being encoded
    with ThreadPoolExecutor(1, thread_name_prefix="fetch-store") as storing:
        asyncio.run(run(storing))


def drive_file(row: dict[str, Any]) -> str | None:
    """The Drive file id of an ingested row from a Drive folder (None for any other row)."""
    return file_id_of(row["url"]) if row["source"] == DRIVE_SOURCE and not row["path"] else None


async def fetch_drive_files(
    wanted: Sequence[DriveFileRequest], session: FetchSession, max_body_bytes: int, options: FetchOptions
) -> list[FetchResult]:
    """The Drive images of a chunk, fetched in a thread; what a download brought goes into the HTTP cache."""
    if not wanted:
        return []
    if options.drive is None:
        reason = "an image from a Drive folder, but this fetch has no Drive connection"
        return [FetchResult(r.record_id, r.url, FetchStatus.FILE_ERROR, reason) for r in wanted]
    cache, writer = session.cache, session.writer
    stored = cache.stored if cache is not None else lambda url: None

    def done(result: FetchResult) -> None:
        describe_content(result)
        if writer is not None and result.status == FetchStatus.OK and result.cache is None:
            writer.submit(result, None)  # its validators and bytes for the next run, as soon as it is downloaded

    return await asyncio.to_thread(options.drive.fetch, wanted, max_body_bytes, stored, done)


def exempt(source_file: str | None, patterns: Sequence[str]) -> bool:
    return source_file is not None and any(fnmatch(source_file, pattern) for pattern in patterns)


def fetch_stored_day(
    store: PartitionStore,
    day: str,
    fetcher: HttpFetcher,
    options: FetchOptions,
    stamp: str,
    on_progress: ProgressHook | None = None,
    chunk_rows: int = FETCH_CHUNK_ROWS,
) -> StageRun:
    """Fetch the stored ingest partition of `day` chunk by chunk into the fetch partition (see `fetch_day`).

    Chunks an interrupted run stored with the same `stamp` and the same ingest partition are kept. When the day's
    rows hold what the stored partition holds (every page answered 304 Not Modified, or the same bytes again), that
    file is kept rather than written again: its timings and cache columns stay those of the run that stored it,
    while the returned rows (for the metadata) are this run's."""
    started = time.monotonic()
    volatile = VOLATILE_COLUMNS[Stage.FETCH]
    stored_version = store.stored_version(Stage.FETCH, day)
    with store.reader(Stage.INGEST, day) as reader:
        full_stamp = resume_stamp(store, Stage.INGEST, day, stamp, chunk_rows)
        partition = store.chunked(Stage.FETCH, day, full_stamp, SLIM_COPY_COLUMNS[Stage.FETCH])
        if stored_version is not None:
            partition.hash_as_stored(volatile)  # to tell at the end whether the day's content changed
        begun = start_day(partition, Stage.FETCH, day, reader.rows, chunk_rows, on_progress)
        todo = (i for i in range(len(begun.sizes)) if i not in begun.done)
        fetch_day(((i, reader.chunk(i, chunk_rows, INGEST_COLUMNS)) for i in todo), fetcher, day, options, begun.store)
    chunks, kept = len(begun.sizes), len(begun.done)
    if stored_version is not None and partition.content_version(chunks) == stored_version:
        return same_content_day(partition, stored_version, begun.tracker, started, chunks, kept, on_progress)
    return finish_day(partition, begun.tracker, started, chunks, kept, volatile, on_progress=on_progress)
