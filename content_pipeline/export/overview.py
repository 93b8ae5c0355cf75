"""The export partition at a glance, as markdown the Dagster UI shows on the materialization: the records per category
as a bar chart drawn with characters, and the failures by stage, status and reason with a few example URLs.

Bounded whatever the size of the day (top lists), and every value from the data is escaped: URLs, reasons and
categories come from the web.
"""

from collections.abc import Callable

import duckdb
import polars as pl

from content_pipeline.display import column_counts, shorten
from content_pipeline.quality.status_figures import Failures, failure_groups
from content_pipeline.stages import Stage
from content_pipeline.warehouse.partition_store import glob_literal, sql_path
from content_pipeline.warehouse.storage import Location

MAX_CATEGORIES = 30  # bars; the rest are summed up in one line
BAR_CHARS = 30  # the longest bar
BAR = "█"
EXAMPLES = 3  # example URLs per failure group
CELL_CHARS = 80
MARKDOWN_SPECIAL = set("\\`*_[]<>|~&")  # what can start markup inside a table cell (escaping `[` covers links)


def md_text(value: object, limit: int = CELL_CHARS) -> str:
    """`value` as literal markdown text on one line of a table cell: shortened, every markup character escaped."""
    text = shorten("" if value is None else str(value), limit)
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text)


def md_url(url: str, limit: int = CELL_CHARS) -> str:
    """A URL from the data as code in a table cell: shown as it is, never a link to follow by a click."""
    text = shorten(url, limit).replace("`", "%60").replace("|", "%7C")
    return f"`{text}`"


def category_chart(records: pl.DataFrame) -> str:
    """One bar per category, longest first, as a markdown table; records without a category counted below it."""
    if "category" not in records.columns or records.is_empty():
        return "No records."
    counts = column_counts(records.drop_nulls("category"), "category")
    missing = records["category"].null_count()
    note = f"\n\n{missing} record(s) without a category." if missing else ""
    if not counts:
        return "No categorized records." + note
    top = counts[0][1]
    lines = ["| category | records | |", "|---|---:|---|"]
    for name, n in counts[:MAX_CATEGORIES]:
        lines.append(f"| {md_text(name)} | {n} | {BAR * max(1, round(n / top * BAR_CHARS))} |")
    rest = counts[MAX_CATEGORIES:]
    if rest:
        note = f"\n\n{len(rest)} more categories, {sum(n for _, n in rest)} record(s)." + note
    return "\n".join(lines) + note


def failure_examples(
    partition: Location,
    groups: list[tuple[str, str]],
    per_group: int = EXAMPLES,
    connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
) -> dict[tuple[str, str], list[str]]:
    """(status, reason) of each of `groups` to its first `per_group` URLs (in sort order) in the export partition.

    Read by DuckDB from the stored file (the day's slim copy has no URLs): three columns, of those groups' rows only.
    `connect` gives a connection that reads the warehouse (PartitionStore.connect for an object store)."""
    if not groups:
        return {}
    source = sql_path(glob_literal(partition))
    key = "status || chr(0) || coalesce(reason, '')"
    query = (
        "SELECT status, coalesce(reason, '') AS reason, min(coalesce(url, input_url), $1) AS examples "
        f"FROM read_parquet('{source}', hive_partitioning = false) WHERE {key} IN (SELECT unnest($2)) GROUP BY ALL"
    )
    wanted = [f"{status}\0{reason}" for status, reason in groups]
    with connect() as con:
        rows = con.execute(query, [per_group, wanted]).fetchall()
    return {(status, reason): [u for u in (examples or []) if u] for status, reason, examples in rows}


def failures_table(failures: Failures, total: int, examples: dict[tuple[str, str], list[str]]) -> str:
    """The failures by stage, status and reason, most frequent first, each with a few example URLs."""
    if not failures.records:
        return "Every record went through."
    lines = [
        f"{failures.records} of {total} record(s) did not go through.",
        "",
        "| stage | status | reason | records | examples |",
        "|---|---|---|---:|---|",
    ]
    for group in failures.groups:
        urls = examples.get((f"{group.stage}:{group.status}", group.reason), [])
        cells = [md_text(group.stage), md_text(group.status), md_text(group.reason), str(group.records)]
        cells.append(" ".join(md_url(url) for url in urls))
        lines.append("| " + " | ".join(cells) + " |")
    if failures.more_groups:
        lines += ["", f"{failures.more_groups} more reason(s), {failures.more_records} record(s)."]
    return "\n".join(lines)


def export_overview(
    records: pl.DataFrame, partition: Location, connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect
) -> str:
    """The markdown shown on the export materialization: categories as a bar chart, then the failures."""
    failures = failure_groups(Stage.EXPORT, records)
    shown = [(f"{group.stage}:{group.status}", group.reason) for group in failures.groups]
    examples = failure_examples(partition, shown, connect=connect)
    return "\n".join(
        [
            "### Categories",
            "",
            category_chart(records),
            "",
            "### Failures",
            "",
            failures_table(failures, len(records), examples),
        ]
    )
