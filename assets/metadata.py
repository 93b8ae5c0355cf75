"""Materialization metadata a person reads at a glance in the Dagster UI: row count, the column schema with what each
column means, counts by status and the failures as tables, the ok share and failure rate as numbers (plotted across
partitions), a preview, cost."""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from content_pipeline.categorize.stats import categorize_stats
from content_pipeline.display import column_counts, shorten
from content_pipeline.quality.status_figures import OTHERS, failure_groups, failure_rate, ok_share, status_counts
from content_pipeline.schemas import column_descriptions
from content_pipeline.warehouse.storage import Location

PREVIEW_ROWS = 10
PREVIEW_CELL_CHARS = 80
REASON_CHARS = 200  # a reason in the failures table
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


def column_schema(data: pl.DataFrame, stage: str) -> dg.TableSchema:
    """The partition's columns and types, each with what it means (content_pipeline.schemas)."""
    described = column_descriptions(stage)
    return dg.TableSchema(
        columns=[dg.TableColumn(name, str(dtype), described.get(name)) for name, dtype in data.schema.items()]
    )


STATUS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("status", "string"),
        dg.TableColumn("records", "int"),
        dg.TableColumn("share", "float", "of the partition's records, 0 to 1"),
    ]
)
FAILURES_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("stage", "string", "the stage that stopped the records"),
        dg.TableColumn("status", "string"),
        dg.TableColumn("reason", "string"),
        dg.TableColumn("records", "int"),
    ]
)


def status_table(data: pl.DataFrame) -> dg.TableMetadataValue:
    """Records per status, most frequent first."""
    rows = [dg.TableRecord({"status": c.status, "records": c.records, "share": c.share}) for c in status_counts(data)]
    return dg.MetadataValue.table(rows, STATUS_SCHEMA)


def failures_table(stage: str, data: pl.DataFrame) -> dg.TableMetadataValue:
    """The records the stage did not take through, by status and reason, most frequent first (a top list)."""
    failures = failure_groups(stage, data)
    rows = [
        dg.TableRecord(
            {"stage": str(g.stage), "status": g.status, "reason": shorten(g.reason, REASON_CHARS), "records": g.records}
        )
        for g in failures.groups
    ]
    if failures.more_groups:
        summed = f"{failures.more_groups} more reason(s)"
        rows.append(
            dg.TableRecord({"stage": str(stage), "status": OTHERS, "reason": summed, "records": failures.more_records})
        )
    return dg.MetadataValue.table(rows, FAILURES_SCHEMA)


def status_figures(stage: str, data: pl.DataFrame) -> dict[str, Any]:
    """Counts by status and the failures as tables; the ok share and failure rate as plain numbers (none for an
    empty partition, or a stage that tried no row)."""
    shown: dict[str, Any] = {"status_counts": status_table(data), "failures": failures_table(stage, data)}
    share, rate = ok_share(stage, data), failure_rate(stage, data)
    if share is not None:
        shown["ok_share"] = dg.MetadataValue.float(share)
    if rate is not None:
        shown["failure_rate"] = dg.MetadataValue.float(rate)
    return shown


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


def report_metadata(report: Location) -> dict[str, Any]:
    """Where the partition's HTML report is, as a path or its s3:// URL (a file:// link would not open from the UI's
    browser tab)."""
    return {"report": dg.MetadataValue.path(str(report.resolve()) if isinstance(report, Path) else report)}


def partition_metadata(stage: str, data: pl.DataFrame, path: Location, preview_columns: list[str]) -> dict[str, Any]:
    """The metadata every stage attaches to a partition it wrote."""
    return {
        "dagster/row_count": len(data),
        "dagster/column_schema": column_schema(data, stage),
        **status_figures(stage, data),
        "path": dg.MetadataValue.path(str(path)),
        "preview": dg.MetadataValue.md(markdown_preview(data, preview_columns)),
    }
