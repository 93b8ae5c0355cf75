"""Materialization metadata a person reads at a glance: row count, schema, counts by status, a preview."""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

PREVIEW_ROWS = 10
PREVIEW_CELL_CHARS = 60


def counts(data: pl.DataFrame, column: str) -> dict[str, int]:
    """Rows per value of `column` (null shown as '(none)'), most frequent first."""
    if column not in data.columns or data.is_empty():
        return {}
    grouped = data.group_by(column).len().sort(["len", column], descending=[True, False], nulls_last=True)
    return {("(none)" if value is None else str(value)): n for value, n in grouped.iter_rows()}


def markdown_preview(data: pl.DataFrame, columns: list[str]) -> str:
    """The first rows of `columns` as a markdown table, cells shortened to one readable line."""
    head = data.select([c for c in columns if c in data.columns]).head(PREVIEW_ROWS)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    for row in head.iter_rows():
        cells = [short(value) for value in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def short(value: object) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"


def column_schema(data: pl.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in data.schema.items()])


def partition_metadata(data: pl.DataFrame, path: Path, preview_columns: list[str]) -> dict[str, Any]:
    """The metadata every stage attaches to a partition it wrote."""
    return {
        "dagster/row_count": len(data),
        "dagster/column_schema": column_schema(data),
        "status_counts": dg.MetadataValue.json(counts(data, "status")),
        "path": dg.MetadataValue.path(str(path)),
        "preview": dg.MetadataValue.md(markdown_preview(data, preview_columns)),
    }
