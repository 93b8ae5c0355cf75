"""A partition's report as one self-contained HTML file: categories as a bar chart, failures by reason, counts, cost.

It opens offline (no script, stylesheet or font from elsewhere), and every value from the data is escaped: titles,
reasons and categories come from the web.
"""

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import TypeVar

import polars as pl

from content_pipeline.display import column_counts, shorten
from content_pipeline.export.output_store import LocalOutput, OutputStore, write_whole

Target = TypeVar("Target", bound=Path | str)  # a local file, or an object's s3:// URL
MAX_FAILURE_ROWS = 50  # rows of the failures table; the rest are summed up in one line
REASON_CHARS = 200
LABEL_CHARS = 32  # category names in the chart; the full name is in the bar's tooltip
BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 240
CHART_WIDTH = 720

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2933; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin-top: 0.5rem; }
th, td { border: 1px solid #d9dee3; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #616e7c; }
svg text { font-size: 12px; fill: #1f2933; }
svg rect.bar { fill: #3f7cac; }
"""


def _e(value: object) -> str:
    """Escaped text for HTML content and attribute values alike."""
    return escape("" if value is None else str(value), quote=True)


def _cell(value: object, numeric: bool) -> str:
    return f'<td class="n">{_e(value)}</td>' if numeric else f"<td>{_e(value)}</td>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[bool]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(_cell(c, num) for c, num in zip(row, numeric, strict=True)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _counts_section(title: str, counts: list[tuple[str, int]], label: str) -> str:
    if not counts:
        return f"<h2>{_e(title)}</h2><p class='muted'>No records.</p>"
    return f"<h2>{_e(title)}</h2>" + _table([label, "records"], counts, [False, True])


def category_chart(records: pl.DataFrame) -> str:
    """An inline SVG bar chart with one bar per category; records without a category are counted below it."""
    if "category" not in records.columns:
        return "<p class='muted'>No categories in this partition.</p>"
    counts = column_counts(records.drop_nulls("category"), "category")
    missing = records["category"].null_count()
    note = f"<p class='muted'>{missing} record(s) without a category.</p>" if missing else ""
    if not counts:
        return "<p class='muted'>No categorized records.</p>" + note
    top = max(n for _, n in counts)
    scale = (CHART_WIDTH - LABEL_WIDTH - 60) / top
    height = len(counts) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    bars = []
    for i, (name, n) in enumerate(counts):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        width = max(1.0, n * scale)
        middle = y + BAR_HEIGHT / 2 + 4
        bars.append(
            f"<g><title>{_e(name)}: {n}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.1f}" text-anchor="end">{_e(shorten(name, LABEL_CHARS))}</text>'
            f'<rect class="bar" data-category="{_e(name)}" data-count="{n}" x="{LABEL_WIDTH}" y="{y}" '
            f'width="{width:.1f}" height="{BAR_HEIGHT}"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{middle:.1f}">{n}</text></g>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="records per category" '
        f'width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}">{"".join(bars)}</svg>'
    )
    return svg + note


def failures_section(records: pl.DataFrame) -> str:
    """Records that did not go through, by `<stage>:<status>` and reason, most frequent first."""
    if "status" not in records.columns:
        return "<h2>Failures</h2><p class='muted'>No status column.</p>"
    failed = records.filter(pl.col("status") != "ok")
    if failed.is_empty():
        return "<h2>Failures</h2><p class='muted'>Every record went through.</p>"
    reasons = failed["reason"] if "reason" in failed.columns else pl.Series([None] * len(failed), dtype=pl.String)
    grouped = (
        pl.DataFrame({"status": failed["status"], "reason": reasons.fill_null("")})
        .group_by("status", "reason")
        .len()
        .sort(["len", "status", "reason"], descending=[True, False, False])
    )
    rows = [
        (status, shorten(reason, REASON_CHARS), n) for status, reason, n in grouped.head(MAX_FAILURE_ROWS).iter_rows()
    ]
    rest = grouped.tail(max(0, len(grouped) - MAX_FAILURE_ROWS))
    more = f"<p class='muted'>{len(rest)} more reason(s), {rest['len'].sum()} record(s).</p>" if len(rest) else ""
    title = f"<h2>Failures ({len(failed)} of {len(records)} records)</h2>"
    return title + _table(["stage:status", "reason", "records"], rows, [False, False, True]) + more


def cost_section(records: pl.DataFrame) -> str:
    """Tokens and estimated cost of the AI answers, when the records carry them."""
    present = [c for c in ("tokens_in", "tokens_out", "cost_usd") if c in records.columns]
    if not present:
        return ""
    rows: list[tuple[str, object]] = []
    for column in ("tokens_in", "tokens_out"):
        if column in present:
            rows.append((column, int(records[column].fill_null(0).sum())))
    if "cost_usd" in present:
        rows.append(("cost_usd", f"{float(records['cost_usd'].fill_null(0.0).sum()):.6f}"))
        if "tokens_in" in records.columns:
            unknown = records.filter(pl.col("cost_usd").is_null() & (pl.col("tokens_in").fill_null(0) > 0)).height
            if unknown:
                rows.append(("records with tokens but no known price", unknown))
    if "ai_cache" in records.columns:
        rows += [(f"AI cache {value}", n) for value, n in column_counts(records.drop_nulls("ai_cache"), "ai_cache")]
    return "<h2>Tokens and cost</h2>" + _table(["", "total"], rows, [False, True])


def render_report(records: pl.DataFrame, day: str) -> str:
    """The report's HTML text."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>content-pipeline {_e(day)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Partition {_e(day)}</h1><p>{len(records)} record(s)</p>",
        "<h2>Categories</h2>",
        category_chart(records),
        failures_section(records),
        _counts_section("Records by status", column_counts(records, "status"), "status"),
        _counts_section("Records by kind", column_counts(records, "kind"), "kind"),
        cost_section(records),
    ]
    if "filed_status" in records.columns and records["filed_status"].is_not_null().any():
        filed = column_counts(records.drop_nulls("filed_status"), "filed_status")
        parts.append(_counts_section("Images filed", filed, "filed_status"))
    parts.append("</body></html>")
    return "\n".join(part for part in parts if part)


def write_report(records: pl.DataFrame, target: Target, day: str, output: OutputStore | None = None) -> Target:
    """Write the report of `day`'s records to `target` in `output` (a local folder when None), replacing it whole;
    returns `target`."""
    text = render_report(records, day)

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    write_whole(output or LocalOutput(Path(target).parent), target, write)
    return target
