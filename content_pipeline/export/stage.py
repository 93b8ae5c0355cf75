"""The export stage over one day, a chunk of records at a time: join every record stage's outcome and where its
image was filed into one row per record, and store the rows. Nothing is written outside the warehouse: the day's
files and the Google Sheet are written from the stored partition (files_stage.py, the sheet_results asset).

A rerun over the same content of every stage it reads keeps the stored partition as it is.
"""

import polars as pl

from content_pipeline.export.image_items import with_filing
from content_pipeline.export.records import READ_COLUMNS, build_records
from content_pipeline.export.stage_chunks import chunk_of
from content_pipeline.stages import RECORD_STAGES, Stage
from content_pipeline.warehouse.chunked_partition import MADE_FROM_KEY
from content_pipeline.warehouse.chunked_stage import SLIM_COPY_COLUMNS, ProgressHook, StageRun, kept_day, process_day
from content_pipeline.warehouse.content_hash import VOLATILE_COLUMNS
from content_pipeline.warehouse.partition_reader import PartitionReader
from content_pipeline.warehouse.partition_store import PartitionStore

EXPORT_CHUNK_ROWS = 1000  # records per chunk (main texts included)


def export_stored_day(
    store: PartitionStore,
    day: str,
    stamp: str,
    on_progress: ProgressHook | None = None,
    chunk_rows: int = EXPORT_CHUNK_ROWS,
) -> StageRun:
    """Export `day` from the stored partitions of every stage it reads, chunk by chunk (see the module docstring)."""
    reads = Stage.EXPORT.reads
    versions = {stage: store.stored_version(stage, day) for stage in reads}
    origin = "|".join([stamp, *(f"{s}={v}" for s, v in versions.items())]) if all(versions.values()) else None
    if origin and store.footer(Stage.EXPORT, day).get(MADE_FROM_KEY) == origin:
        return kept_day(store, Stage.EXPORT, day, on_progress)
    filed = store.read(Stage.FILED_IMAGES, day)  # one short row per image of the day, held while the day is exported
    readers: dict[str, PartitionReader] = {stage: store.reader(stage, day) for stage in RECORD_STAGES}
    try:
        identities = "|".join(store.identity(stage, day) for stage in reads)
        partition = store.chunked(
            Stage.EXPORT, day, f"{stamp}|{identities}|{chunk_rows}", SLIM_COPY_COLUMNS[Stage.EXPORT]
        )
        return process_day(
            partition,
            Stage.EXPORT,
            day,
            readers[Stage.INGEST].rows,
            chunk_rows,
            lambda index: chunk_of(readers, index, chunk_rows, READ_COLUMNS),
            lambda frames: export_frame(frames, filed),
            on_progress,
            VOLATILE_COLUMNS[Stage.EXPORT],
            made_from=lambda _: origin,
        )
    finally:
        for reader in readers.values():
            reader.close()


def export_frame(frames: list[pl.DataFrame], filed: pl.DataFrame) -> pl.DataFrame:
    """One chunk of export rows from the record stages' frames of the chunk and the day's filed_images rows."""
    return with_filing(build_records(*frames), filed)
