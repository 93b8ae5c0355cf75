"""A stage's day, chunk by chunk: read a chunk, process it, store it; then commit the partition at once.

While one chunk is processed, the next is read and the one before is stored (in an I/O thread), so the process
pool or the model does not wait for the disk. Chunks an interrupted run stored with the same stamp are not done again.
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from content_pipeline.free_memory import release_now_and_then
from content_pipeline.progress import ProgressTracker, StageProgress, track
from content_pipeline.stages import Stage
from content_pipeline.warehouse.chunked_partition import (
    MADE_FROM_KEY,
    ChunkedPartition,
    CommittedPartition,
    left_out_of_summary,
)
from content_pipeline.warehouse.content_hash import VOLATILE_COLUMNS
from content_pipeline.warehouse.partition_store import PartitionStore

Chunk = TypeVar("Chunk")
ProgressHook = Callable[[StageProgress], None]
# Per stage: the only columns its slim copy of a day holds (the rest are typed nulls there), which is what its
# metadata, checks and keep rule read. The copy is held for a whole day, so bodies and texts stay out of it, and so do
# the short texts (descriptions, summaries, entities: ~300-450 bytes a row, 30-45 MB a stage at 100,000 rows).
FETCH_SUMMARY = ("record_id", "url", "status", "reason", "http_status", "content_type")
FETCH_STATS = ("bytes", "attempts", "elapsed_ms", "cache")  # what content_pipeline/fetch/stats.py reads
CLASSIFY_SUMMARY = ("record_id", "kind", "processor", "status", "reason", "title", "language", "word_count")
CLASSIFY_DETAILS = ("details",)  # oEmbed outcomes and Gemini Vision figures are counted from them
CATEGORIZE_SUMMARY = ("record_id", "status", "reason", "category", "confidence", "tags", "provider", "model")
CATEGORIZE_COSTS = ("tokens_in", "tokens_out", "cost_usd", "cache")
EXPORT_SUMMARY = ("record_id", "status", "reason", "kind", "category", "title", "filed_status", "filed_path")
EXPORT_COSTS = ("tokens_in", "tokens_out", "cost_usd", "ai_cache")
SLIM_COPY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    Stage.FETCH: (*FETCH_SUMMARY, *FETCH_STATS),
    Stage.CLASSIFY: (*CLASSIFY_SUMMARY, *CLASSIFY_DETAILS),
    Stage.CATEGORIZE: (*CATEGORIZE_SUMMARY, *CATEGORIZE_COSTS),
    Stage.EXPORT: (*EXPORT_SUMMARY, *EXPORT_COSTS),
}


def left_out_columns(stage: str, names: Sequence[str]) -> list[str]:
    """The columns among `names` that `stage`'s slim copy holds as nulls."""
    return left_out_of_summary(names, SLIM_COPY_COLUMNS.get(stage))


@dataclass(frozen=True)
class StageRun:
    """What a stage did for one day: the committed partition, how long it took, and how much came from before."""

    committed: CommittedPartition
    wall_s: float
    chunks: int
    kept_chunks: int  # chunks an interrupted run had stored, not done again
    unchanged: bool = False  # the stored partition was kept whole: same input, same code and settings

    @property
    def rows_per_s(self) -> float:
        return self.committed.rows / self.wall_s if self.wall_s > 0 else 0.0


def chunk_sizes(total_rows: int, chunk_rows: int) -> list[int]:
    """Rows of each chunk of a day of `total_rows` (at least one chunk, maybe empty)."""
    count = max(1, -(-total_rows // chunk_rows))
    return [max(0, min(chunk_rows, total_rows - index * chunk_rows)) for index in range(count)]


@dataclass(frozen=True)
class DayStart:
    """A day as a stage starts it: its chunks' sizes, those already stored, the tracker, and how to store one."""

    sizes: list[int]
    done: set[int]
    tracker: ProgressTracker
    store: Callable[[int, pl.DataFrame], None]  # stores chunk `index` and tells the progress


def start_day(
    partition: ChunkedPartition,
    stage: str,
    day: str,
    total_rows: int,
    chunk_rows: int,
    on_progress: ProgressHook | None = None,
) -> DayStart:
    """Chunk sizes, the chunks already stored (counted as kept), and the function that stores each new one."""
    sizes = chunk_sizes(total_rows, chunk_rows)
    done = partition.done() & set(range(len(sizes)))
    tracker = track(stage, day, total_rows, kept=sum(sizes[index] for index in done))
    if on_progress is not None:
        on_progress(tracker.progress)

    def store(index: int, data: pl.DataFrame) -> None:
        partition.write_chunk(index, data)
        release_now_and_then()  # what the chunks before used (read, processed, encoded) goes back
        progress = tracker.advance(sizes[index])
        if on_progress is not None:
            on_progress(progress)

    return DayStart(sizes, done, tracker, store)


def resume_stamp(store: PartitionStore, upstream: str, day: str, stamp: str, chunk_rows: int) -> str:
    """What stored chunks must match to be kept: `stamp`, the upstream's content (or file) and the chunk size."""
    return f"{stamp}|{store.stored_version(upstream, day) or store.identity(upstream, day)}|{chunk_rows}"


def process_day(
    partition: ChunkedPartition,
    stage: str,
    day: str,
    total_rows: int,
    chunk_rows: int,
    read: Callable[[int], Chunk],
    process: Callable[[Chunk], pl.DataFrame],
    on_progress: ProgressHook | None = None,
    volatile: Iterable[str] = (),
    on_chunk: Callable[[pl.DataFrame], None] | None = None,
    made_from: Callable[[pl.DataFrame], str | None] | None = None,
    chunks_done: Callable[[], None] | None = None,
) -> StageRun:
    """Run `process(read(index))` for every chunk not yet stored, store each result, then commit the partition
    (`chunks_done` is called in between: to let go of what processing held, such as worker processes)."""
    started = time.monotonic()
    begun = start_day(partition, stage, day, total_rows, chunk_rows, on_progress)
    sizes, done, tracker, store = begun.sizes, begun.done, begun.tracker, begun.store

    todo = [index for index in range(len(sizes)) if index not in done]
    # `process` runs in this thread (it may hold thread-bound things: SQLite connections, a process pool); the
    # reading of the next chunk and the storing of the last one happen meanwhile in the I/O thread.
    with ThreadPoolExecutor(1, thread_name_prefix=f"{stage}-io") as io:
        reading: Future[Chunk] | None = io.submit(read, todo[0]) if todo else None
        storing: Future[None] | None = None
        for position, index in enumerate(todo):
            assert reading is not None
            chunk = reading.result()
            following = todo[position + 1] if position + 1 < len(todo) else None
            reading = io.submit(read, following) if following is not None else None
            data = process(chunk)
            del chunk
            if storing is not None:
                storing.result()
            storing = io.submit(store, index, data)
            del data
        if storing is not None:
            storing.result()
    if chunks_done is not None:
        chunks_done()
    return finish_day(partition, tracker, started, len(sizes), len(done), volatile, on_chunk, on_progress, made_from)


def finish_day(
    partition: ChunkedPartition,
    tracker: ProgressTracker,
    started: float,
    chunks: int,
    kept_chunks: int,
    volatile: Iterable[str] = (),
    on_chunk: Callable[[pl.DataFrame], None] | None = None,
    on_progress: ProgressHook | None = None,
    made_from: Callable[[pl.DataFrame], str | None] | None = None,
) -> StageRun:
    """Commit the stored chunks as the day's partition and tell the tracker the stage is done."""
    committed = partition.commit(chunks, volatile, on_chunk, made_from)
    progress = tracker.finish()
    if on_progress is not None:
        on_progress(progress)
    return StageRun(committed, time.monotonic() - started, chunks, kept_chunks)


def same_content_day(
    partition: ChunkedPartition,
    version: str,
    tracker: ProgressTracker,
    started: float,
    chunks: int,
    kept_chunks: int,
    on_progress: ProgressHook | None = None,
) -> StageRun:
    """The day's stored chunks hold what the stored partition holds (same content `version`): keep that file as it
    is instead of writing it again, and drop the chunks. The slim copy is this run's rows (its timings and cache
    columns), so the metadata tells what this run saw."""
    summary = partition.summary(chunks)
    partition.discard()
    progress = tracker.finish()
    if on_progress is not None:
        on_progress(progress)
    committed = CommittedPartition(partition.target, len(summary), version, summary)
    return StageRun(committed, time.monotonic() - started, chunks, kept_chunks, unchanged=True)


def process_stored_day(
    store: PartitionStore,
    stage: Stage,
    day: str,
    columns: Sequence[str],
    chunk_rows: int,
    stamp: str,
    process: Callable[[pl.DataFrame], pl.DataFrame],
    on_progress: ProgressHook | None = None,
    on_chunk: Callable[[pl.DataFrame], None] | None = None,
    keep_if: Callable[[pl.DataFrame], bool] | None = None,
    chunks_done: Callable[[], None] | None = None,
) -> StageRun:
    """`process_day` over the stored partition of `day` of the stage's upstream, `columns` only, one row out per row in.

    `stamp` says what else decides the output (code version, settings). Chunks an interrupted run stored are kept
    when the stamp and the upstream's content are the same. With `keep_if`, a partition whose rows pass it is kept
    whole by a later run with the same stamp over an upstream of the same content version (an unchanged rerun)."""
    upstream = stage.upstream
    if upstream is None:
        raise ValueError(f"{stage} has no upstream stage to read")
    upstream_version = store.stored_version(upstream, day)
    origin = f"{stamp}|{upstream}={upstream_version}" if upstream_version and keep_if is not None else None
    if origin is not None and store.footer(stage, day).get(MADE_FROM_KEY) == origin:
        return kept_day(store, stage, day, on_progress)
    with store.reader(upstream, day) as reader:
        full_stamp = resume_stamp(store, upstream, day, stamp, chunk_rows)
        partition = store.chunked(stage, day, full_stamp, SLIM_COPY_COLUMNS.get(stage))
        return process_day(
            partition,
            stage,
            day,
            reader.rows,
            chunk_rows,
            lambda index: reader.chunk(index, chunk_rows, columns),
            process,
            on_progress,
            VOLATILE_COLUMNS.get(stage, ()),
            on_chunk,
            made_from=None if keep_if is None else (lambda summary: origin if keep_if(summary) else None),
            chunks_done=chunks_done,
        )


def kept_day(store: PartitionStore, stage: str, day: str, on_progress: ProgressHook | None = None) -> StageRun:
    """The stored partition of `stage`, kept as it is: its slim copy, its recorded version, progress told done."""
    started = time.monotonic()
    with store.reader(stage, day) as reader:
        left_out = left_out_columns(stage, reader.columns)
        light = reader.slice(0, reader.rows, [c for c in reader.columns if c not in left_out])
        typed_nulls = reader.slice(0, 0, left_out).schema
        summary = light.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in typed_nulls.items())
        summary = summary.select(reader.columns)
    tracker = track(stage, day, len(summary), unchanged=True)
    progress = tracker.finish()
    if on_progress is not None:
        on_progress(progress)
    version = store.stored_version(stage, day) or ""
    committed = CommittedPartition(store.location(stage, day), len(summary), version, summary)
    return StageRun(committed, time.monotonic() - started, chunks=0, kept_chunks=0, unchanged=True)
