"""Materialization metadata a person reads at a glance: row count, schema, counts by status, a preview, cost."""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from content_pipeline.categorize.stats import categorize_stats
from content_pipeline.display import column_counts, shorten

PREVIEW_ROWS = 10
PREVIEW_CELL_CHARS = 80
TOKEN_COLUMNS = ("tokens_in", "tokens_out")


def counts(data: pl.DataFrame, column: str) -> dict[str, int]:
    """Rows per value of `column` (null shown as '(none)'), most frequent first."""
    return dict(column_counts(data, column))


def markdown_preview(data: pl.DataFrame, columns: list[str]) -> str:
    """The first rows of `columns` as a markdown table, cells shortened to one readable line."""
    head = data.select([c for c in columns if c in data.columns]).head(PREVIEW_ROWS)
    if not head.columns:
        return "(none of the preview columns is in the partition)"
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    for row in head.iter_rows():
        cells = [short(value) for value in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def short(value: object) -> str:
    """One line of at most PREVIEW_CELL_CHARS characters that cannot break the table or become markup."""
    text = shorten("" if value is None else str(value), PREVIEW_CELL_CHARS)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def column_schema(data: pl.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in data.schema.items()])


def cost_metadata(data: pl.DataFrame) -> dict[str, float | int]:
    """Tokens and estimated cost over a partition (and AI cache hits when known); {} without those columns.

    Same keys as categorize's `categorize_stats`, so categorize and export read alike.
    """
    if not any(c in data.columns for c in (*TOKEN_COLUMNS, "cost_usd")):
        return {}
    renamed = data.rename({"ai_cache": "cache"}) if "ai_cache" in data.columns and "cache" not in data.columns else data
    if all(c in renamed.columns for c in (*TOKEN_COLUMNS, "cost_usd", "cache")):
        return categorize_stats(renamed)
    shown: dict[str, float | int] = {c: int(data[c].sum() or 0) for c in TOKEN_COLUMNS if c in data.columns}
    if "cost_usd" in data.columns:
        shown["cost_usd"] = round(float(data["cost_usd"].fill_null(0.0).sum()), 6)
    return shown


def report_metadata(report: Path) -> dict[str, Any]:
    """Where the partition's HTML report is: its path, and a file:// link to open it on this machine."""
    resolved = report.resolve()
    return {"report": dg.MetadataValue.path(str(resolved)), "report_url": dg.MetadataValue.url(resolved.as_uri())}


def partition_metadata(data: pl.DataFrame, path: Path, preview_columns: list[str]) -> dict[str, Any]:
    """The metadata every stage attaches to a partition it wrote."""
    return {
        "dagster/row_count": len(data),
        "dagster/column_schema": column_schema(data),
        "status_counts": dg.MetadataValue.json(counts(data, "status")),
        "path": dg.MetadataValue.path(str(path)),
        "preview": dg.MetadataValue.md(markdown_preview(data, preview_columns)),
    }
