"""The export_files stage over one day: `<output>/<day>/records.csv`, `records.parquet` and `report.html`, written from
the stored export partition a chunk at a time (memory stays that of a chunk, plus the report's few columns), in a
local folder or on an object store (output_store.py).

The parquet file's footer records what the files were made from (the stage's stamp and the export partition's
content version). A rerun keeps the three files as they are when they are all there and were made from the same.
"""

import time
from dataclasses import dataclass

import polars as pl

from content_pipeline.export.output_store import OutputStore, output_at
from content_pipeline.export.records import extra_names
from content_pipeline.export.report import write_report
from content_pipeline.export.writers import DayFiles, day_file_paths
from content_pipeline.progress import track
from content_pipeline.stages import Stage
from content_pipeline.warehouse.chunked_partition import MADE_FROM_KEY
from content_pipeline.warehouse.chunked_stage import ProgressHook
from content_pipeline.warehouse.partition_store import PartitionStore
from content_pipeline.warehouse.storage import Location

FILES_CHUNK_ROWS = 1000  # export rows per chunk (main texts included)
REPORT_FILE = "report.html"
# what the report reads of every row (the rest of a row, texts included, goes only to the files)
REPORT_COLUMNS = (
    "status", "reason", "kind", "category", "tokens_in", "tokens_out", "cost_usd", "ai_cache", "filed_status",
)  # fmt: skip


@dataclass(frozen=True)
class DayFilesWritten:
    """The day's files: where they are, the report's rows (its columns only), what they hold, how it went."""

    files: dict[str, Location]  # csv and parquet: local paths, or s3:// URLs
    report: Location
    rows: pl.DataFrame  # REPORT_COLUMNS of every export row
    version: str  # the content version of the export partition they were written from
    wall_s: float
    unchanged: bool  # kept as they were: made from the same export partition, with the same settings


def report_path(output: OutputStore, day: str) -> Location:
    return output.join(day, REPORT_FILE)


def write_stored_day(
    store: PartitionStore,
    day: str,
    output_root: Location,
    stamp: str,
    on_progress: ProgressHook | None = None,
    chunk_rows: int = FILES_CHUNK_ROWS,
) -> DayFilesWritten:
    """Write (or keep) the day's files and report from the stored export partition (see the module docstring)."""
    started = time.monotonic()
    version = store.stored_version(Stage.EXPORT, day) or store.identity(Stage.EXPORT, day)
    origin = f"{stamp}|{Stage.EXPORT}={version}"
    output = output_at(output_root)
    files, report = day_file_paths(output, day), report_path(output, day)
    with store.reader(Stage.EXPORT, day) as reader:
        report_columns = [c for c in REPORT_COLUMNS if c in reader.columns]
        if made_from(files["parquet"]) == origin and all(output.is_file(p) for p in (*files.values(), report)):
            rows = reader.slice(0, reader.rows, report_columns)
            tracker = track(Stage.EXPORT_FILES, day, len(rows), unchanged=True)
            if on_progress is not None:
                on_progress(tracker.finish())
            return DayFilesWritten(files, report, rows, version, time.monotonic() - started, unchanged=True)
        tracker = track(Stage.EXPORT_FILES, day, reader.rows)
        if on_progress is not None:
            on_progress(tracker.progress)
        extras = extra_names(reader.slice(0, reader.rows, ["extra"]))
        parts: list[pl.DataFrame] = []
        with DayFiles(output, day, extras, footer={MADE_FROM_KEY: origin}) as day_files:
            for _, chunk in reader.chunks(chunk_rows):
                day_files.add(chunk)
                parts.append(chunk.select(report_columns))
                progress = tracker.advance(len(chunk))
                if on_progress is not None:
                    on_progress(progress)
                del chunk
            # The report is put in place before the CSV and the parquet file, whose footer says what the three were
            # made from: a write that fails between them (an upload, a full disk) leaves a parquet file that does
            # not match, so the next run writes the three again.
            rows = pl.concat(parts, how="vertical_relaxed")
            write_report(rows, report, day, output)
    progress = tracker.finish()
    if on_progress is not None:
        on_progress(progress)
    return DayFilesWritten(day_files.paths, report, rows, version, time.monotonic() - started, unchanged=False)


def made_from(parquet_file: Location) -> str | None:
    """What a day's parquet file records it was made from (None: no file, or none recorded)."""
    try:
        metadata = output_at(parquet_file).read_metadata(parquet_file).metadata or {}
    except (OSError, ValueError):
        return None
    value = metadata.get(MADE_FROM_KEY.encode())
    return value.decode(errors="replace") if value is not None else None


def rows_in_files(files: dict[str, Location]) -> dict[str, int]:
    """The rows each of the day's files holds, counted in the files themselves as they are stored (the CSV by a CSV
    parser: a quoted cell may span lines)."""
    counted = {}
    for fmt, location in files.items():
        output = output_at(location)
        if fmt == "parquet":
            counted[fmt] = output.read_metadata(location).num_rows
            continue
        with output.local_copy(location) as path:
            counted[fmt] = int(pl.scan_csv(path, infer_schema=False).select(pl.len()).collect().item())
    return counted
