"""The filed_images stage over one day, a chunk of records at a time: find the images (files from image folders,
and records classified as images), file each by its visual category, store one row per image saying where it is now.

Filing is done again on every run of a day that has images, even over unchanged stages, in case images were moved
or deleted since (an identical file already there counts as filed, and move mode then deletes a source that a crash
left behind); a day without images is kept as it is when ingest, fetch and classify are unchanged.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from content_pipeline.export.image_filing import FilingResult, ImageToFile
from content_pipeline.export.image_items import WANTS_FILING, filed_rows, filing_ids, image_items
from content_pipeline.export.records import READ_COLUMNS, build_records
from content_pipeline.export.stage_chunks import chunk_of, read_ids
from content_pipeline.moved_images import MovedImages
from content_pipeline.schemas import CATEGORIZE_SCHEMA
from content_pipeline.stages import Stage
from content_pipeline.status import FilingStatus
from content_pipeline.warehouse.chunked_partition import MADE_FROM_KEY
from content_pipeline.warehouse.chunked_stage import ProgressHook, StageRun, kept_day, process_day
from content_pipeline.warehouse.partition_reader import PartitionReader
from content_pipeline.warehouse.partition_store import PartitionStore

FILING_CHUNK_ROWS = 1000  # records looked at per chunk (their bodies are read only for the images among them)
# what filing reads of each stage (None: all of ingest, whose row the ledger of moved images keeps); never texts
FILING_COLUMNS: dict[str, list[str] | None] = {
    Stage.INGEST: None,
    Stage.FETCH: READ_COLUMNS[Stage.FETCH],
    Stage.CLASSIFY: ["record_id", "status", "reason", "kind", "details"],
}
NO_CATEGORIES = pl.DataFrame(schema=CATEGORIZE_SCHEMA)  # filing does not wait for categorize

FileImages = Callable[[Sequence[ImageToFile]], list[FilingResult]]


@dataclass(frozen=True)
class FilingDay:
    """What filing a day did: the stored partition, and how many images this run put into a new file."""

    run: StageRun
    new_files: int = 0


def file_stored_day(
    store: PartitionStore,
    day: str,
    file_images: FileImages,
    moved: MovedImages | None,
    stamp: str,
    on_progress: ProgressHook | None = None,
    chunk_rows: int = FILING_CHUNK_ROWS,
) -> FilingDay:
    """File the images of `day` from the stored partitions of ingest, fetch and classify (see the module docstring)."""
    reads = Stage.FILED_IMAGES.reads
    versions = {stage: store.stored_version(stage, day) for stage in reads}
    origin = "|".join([stamp, *(f"{s}={v}" for s, v in versions.items())]) if all(versions.values()) else None
    if origin and store.footer(Stage.FILED_IMAGES, day).get(MADE_FROM_KEY) == origin:
        return FilingDay(kept_day(store, Stage.FILED_IMAGES, day, on_progress))
    readers: dict[str, PartitionReader] = {stage: store.reader(stage, day) for stage in reads}
    bodies_reader = store.reader(Stage.FETCH, day)  # its own file handle: chunks are read in another thread
    new_files = 0
    try:
        identities = "|".join(store.identity(stage, day) for stage in reads)
        partition = store.chunked(Stage.FILED_IMAGES, day, f"{stamp}|{identities}|{chunk_rows}")

        def file_chunk(chunk: tuple[int, list[pl.DataFrame]]) -> pl.DataFrame:
            nonlocal new_files
            index, (ingest, fetch, classify) = chunk
            records = build_records(ingest, fetch, classify, NO_CATEGORIES)
            wanted = filing_ids(records)
            if not wanted:
                return filed_rows([])
            bodies_frame = bodies_reader.chunk(index, chunk_rows, ["record_id", "body"])
            if not set(wanted) <= set(bodies_frame["record_id"].to_list()):
                bodies_frame = read_ids(bodies_reader, wanted, ["record_id", "body"])
            bodies: dict[str, bytes | None] = dict(bodies_frame.iter_rows())
            results = file_images(image_items(records, bodies, moved))
            new_files += sum(result.status == FilingStatus.FILED for result in results)
            return filed_rows(results)

        run = process_day(
            partition,
            Stage.FILED_IMAGES,
            day,
            readers[Stage.INGEST].rows,
            chunk_rows,
            lambda index: (index, chunk_of(readers, index, chunk_rows, FILING_COLUMNS)),
            file_chunk,
            on_progress,
            made_from=lambda summary: origin if summary.is_empty() else None,  # a day with images is filed again
        )
    finally:
        for reader in (*readers.values(), bodies_reader):
            reader.close()
    return FilingDay(run, new_files)


def image_ids(store: PartitionStore, day: str) -> set[str]:
    """The records of `day` that want filing, from ingest's sources and classify's kinds (what filing must cover)."""
    sources = store.read(Stage.INGEST, day, ["record_id", "source"])
    kinds = store.read(Stage.CLASSIFY, day, ["record_id", "kind"])
    joined = sources.join(kinds, on="record_id", how="left")
    return set(joined.filter(WANTS_FILING)["record_id"].to_list())
