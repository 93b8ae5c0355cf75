"""Write a partition's records to files: parquet (everything) and CSV (for people and spreadsheets)."""

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import polars as pl
import pyarrow.parquet as pq

from content_pipeline.export.output_store import LocalOutput, OutputStore
from content_pipeline.export.records import expand_extra, extra_names
from content_pipeline.formula_guard import neutralize_text_columns
from content_pipeline.warehouse.chunked_partition import to_arrow
from content_pipeline.warehouse.storage import Location

CSV_LEFT_OUT = ("text", "details")  # long or machine-oriented: in the parquet file, not the CSV


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def for_csv(records: pl.DataFrame, expanded: bool = False) -> pl.DataFrame:
    flat = (records if expanded else expand_extra(records)).drop(*CSV_LEFT_OUT, strict=False)
    flat = flat.with_columns(pl.col(pl.List(pl.String)).list.join("; "))
    return neutralize_text_columns(flat)  # values and the user's column names alike


def day_file_paths(output: OutputStore, day: str) -> dict[str, Location]:
    """Where the day's files go: `<output>/<day>/records.csv` and `records.parquet`."""
    return {"csv": output.join(day, "records.csv"), "parquet": output.join(day, "records.parquet")}


def write_exports(records: pl.DataFrame, output_dir: Path, day: str) -> dict[str, Path]:
    """Write `<output>/<day>/records.csv` and `records.parquet` in a local folder, replacing earlier ones; returns the
    paths."""
    with DayFiles(LocalOutput(output_dir), day, extra_names(records)) as files:
        files.add(records)
    return {fmt: Path(path) for fmt, path in files.paths.items()}


class DayFiles:
    """`<output>/<day>/records.csv` and `records.parquet` written a chunk of records at a time, to spool files put in
    the place of the earlier files when the block ends without an error (removed when it ends with one).

    `extras` fixes the user's own columns (from every row of the day) so each chunk has the same columns; `footer`
    is key-value metadata for the parquet file's footer (what the files were made from)."""

    def __init__(
        self, output: OutputStore, day: str, extras: Sequence[str], footer: Mapping[str, str] | None = None
    ) -> None:
        self.output = output
        self.extras = list(extras)
        self.footer = dict(footer or {})
        self.paths = day_file_paths(output, day)
        self.temporary: dict[str, Path] = {}
        self.csv: IO[bytes] | None = None
        self.parquet: pq.ParquetWriter | None = None

    def __enter__(self) -> "DayFiles":
        self.temporary = {fmt: self.output.spool(target) for fmt, target in self.paths.items()}
        self.csv = open(self.temporary["csv"], "wb")
        return self

    def add(self, records: pl.DataFrame) -> None:
        assert self.csv is not None, "DayFiles.add outside its with block"
        expanded = expand_extra(records, self.extras)
        for_csv(expanded, expanded=True).write_csv(self.csv, include_header=self.csv.tell() == 0)
        table = to_arrow(expanded)
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(self.temporary["parquet"], table.schema, compression="zstd")
        self.parquet.write_table(table.cast(self.parquet.schema) if table.schema != self.parquet.schema else table)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.csv is not None:
                self.csv.close()
            if self.parquet is not None:
                if self.footer:
                    self.parquet.add_key_value_metadata(self.footer)
                self.parquet.close()
            elif kind is None:
                raise ValueError("DayFiles got no records, not even an empty frame with the columns")
            if kind is None:
                for fmt, target in self.paths.items():
                    self.output.publish(self.temporary[fmt], target)
        finally:
            for temporary in self.temporary.values():
                temporary.unlink(missing_ok=True)
