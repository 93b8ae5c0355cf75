"""The export stage over one day, a chunk of records at a time: join the stages, file the images, store the rows;
the CSV and parquet files of the day are written from the stored chunks as the partition is committed.

A rerun over the same content of every stage, with the same settings, keeps the stored export and its files when
they are still there and the day filed no images (filing is redone, in case images were moved or deleted)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from content_pipeline.export.image_filing import FilingResult, ImageToFile
from content_pipeline.export.image_items import filing_ids, image_items, with_filing
from content_pipeline.export.records import READ_COLUMNS, build_records, extra_names
from content_pipeline.export.writers import DayFiles, day_file_paths
from content_pipeline.moved_images import MovedImages
from content_pipeline.stages import RECORD_STAGES, Stage
from content_pipeline.warehouse.chunked_partition import MADE_FROM_KEY
from content_pipeline.warehouse.chunked_stage import (
    SLIM_COPY_COLUMNS,
    ProgressHook,
    StageRun,
    kept_day,
    process_day,
)
from content_pipeline.warehouse.content_hash import VOLATILE_COLUMNS
from content_pipeline.warehouse.partition_reader import PartitionReader
from content_pipeline.warehouse.partition_store import PartitionStore

EXPORT_CHUNK_ROWS = 1000  # records per chunk (main texts included)


@dataclass
class ExportDay:
    """What the export of a day did besides its partition: the files written and the images filed in this run."""

    run: StageRun
    files: dict[str, Path]
    filed: list[FilingResult] = field(default_factory=list)


def chunk_of(readers: dict[str, PartitionReader], index: int, rows: int) -> list[pl.DataFrame]:
    """Every stage's rows of one chunk. Stages keep their upstream's row order, so a chunk is the same slice of each;
    a stage whose slice holds other records (a partition from before that rule) is read by record id instead."""
    ingest = readers[Stage.INGEST].chunk(index, rows)
    wanted = ingest["record_id"]
    frames = [ingest]
    for stage in RECORD_STAGES[1:]:
        data = readers[stage].chunk(index, rows, READ_COLUMNS.get(stage))
        if not data["record_id"].equals(wanted):
            data = read_ids(readers[stage], wanted.to_list(), READ_COLUMNS.get(stage))
        frames.append(data)
    return frames


def read_ids(reader: PartitionReader, ids: Sequence[str], columns: Sequence[str] | None) -> pl.DataFrame:
    """The rows of `ids`, scanning the partition a slice at a time."""
    wanted = set(ids)
    parts = [chunk.filter(pl.col("record_id").is_in(wanted)) for _, chunk in reader.chunks(EXPORT_CHUNK_ROWS, columns)]
    return pl.concat(parts, how="vertical_relaxed")


def export_stored_day(
    store: PartitionStore,
    day: str,
    output_dir: Path,
    file_images: Callable[[Sequence[ImageToFile]], list[FilingResult]],
    moved: MovedImages | None,
    stamp: str,
    on_progress: ProgressHook | None = None,
    chunk_rows: int = EXPORT_CHUNK_ROWS,
) -> ExportDay:
    """Export `day` from the stored partitions of every stage, chunk by chunk (see the module docstring)."""
    versions = {stage: store.stored_version(stage, day) for stage in RECORD_STAGES}
    origin = "|".join([stamp, *(f"{s}={v}" for s, v in versions.items())]) if all(versions.values()) else None
    paths = day_file_paths(output_dir, day)
    kept = origin and store.footer(Stage.EXPORT, day).get(MADE_FROM_KEY) == origin
    if kept and all(p.is_file() for p in paths.values()):
        return ExportDay(kept_day(store, Stage.EXPORT, day, on_progress), paths)
    readers: dict[str, PartitionReader] = {stage: store.reader(stage, day) for stage in RECORD_STAGES}
    bodies_reader = store.reader(Stage.FETCH, day)  # its own file handle: chunks are processed in another thread
    filed: list[FilingResult] = []
    try:
        identities = "|".join(store.identity(stage, day) for stage in RECORD_STAGES)
        full_stamp = f"{stamp}|{identities}|{chunk_rows}"
        partition = store.chunked(Stage.EXPORT, day, full_stamp, SLIM_COPY_COLUMNS[Stage.EXPORT])

        def export_chunk(chunk: tuple[int, list[pl.DataFrame]]) -> pl.DataFrame:
            index, frames = chunk
            records = build_records(*frames)
            if wanted := filing_ids(records):
                bodies_frame = bodies_reader.chunk(index, chunk_rows, ["record_id", "body"])
                if not set(wanted) <= set(bodies_frame["record_id"].to_list()):
                    bodies_frame = read_ids(bodies_reader, wanted, ["record_id", "body"])
                bodies: dict[str, bytes | None] = dict(bodies_frame.iter_rows())
                results = file_images(image_items(records, bodies, moved))
                filed.extend(results)
                records = with_filing(records, results)
            else:
                records = with_filing(records, [])
            return records

        extras = extra_names(readers[Stage.INGEST].slice(0, readers[Stage.INGEST].rows, ["extra"]))
        with DayFiles(output_dir, day, extras) as files:
            run = process_day(
                partition,
                Stage.EXPORT,
                day,
                readers[Stage.INGEST].rows,
                chunk_rows,
                lambda index: (index, chunk_of(readers, index, chunk_rows)),
                export_chunk,
                on_progress,
                VOLATILE_COLUMNS[Stage.EXPORT],
                on_chunk=files.add,
                made_from=lambda summary: origin if not summary["filed_status"].drop_nulls().len() else None,
            )
    finally:
        for reader in readers.values():
            reader.close()
    return ExportDay(run, files.paths, filed)
