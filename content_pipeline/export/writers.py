"""Write a partition's records to files: parquet (everything) and CSV (for people and spreadsheets)."""

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import polars as pl

from content_pipeline.export.records import expand_extra
from content_pipeline.formula_guard import neutralize_text_columns

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


def for_csv(records: pl.DataFrame) -> pl.DataFrame:
    flat = expand_extra(records).drop(*CSV_LEFT_OUT, strict=False)
    flat = flat.with_columns(pl.col(pl.List(pl.String)).list.join("; "))
    return neutralize_text_columns(flat)  # values and the user's column names alike


def write_exports(records: pl.DataFrame, output_dir: Path, day: str) -> dict[str, Path]:
    """Write `<output>/<day>/records.csv` and `records.parquet`, replacing earlier ones; returns the paths."""
    folder = output_dir / day
    csv_path = write_atomically(folder / "records.csv", lambda p: for_csv(records).write_csv(p))
    parquet_path = write_atomically(
        folder / "records.parquet", lambda p: expand_extra(records).write_parquet(p, compression="zstd")
    )
    return {"csv": csv_path, "parquet": parquet_path}
