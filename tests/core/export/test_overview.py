"""The markdown the UI shows on the export materialization: categories as bars, failures with example URLs."""

import re
from pathlib import Path

import polars as pl

from content_pipeline.export.overview import MAX_CATEGORIES, export_overview, md_text
from content_pipeline.warehouse.partition_store import PartitionStore
from content_pipeline.warehouse.storage import Location

DAY = "2026-11-24"


def stored_export(tmp_path: Path, rows: list[dict[str, object]]) -> tuple[pl.DataFrame, Location]:
    schema = {"record_id": pl.String, "status": pl.String, "reason": pl.String, "url": pl.String}
    schema |= {"input_url": pl.String, "category": pl.String}
    data = pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=schema, orient="row")
    path = PartitionStore(tmp_path / "warehouse [1]").write("export", DAY, data)  # `[` in the path: not a glob
    return data, path


def test_the_overview_draws_a_bar_per_category_and_lists_failures_with_example_urls(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"record_id": f"a{i}", "status": "ok", "url": f"https://a.example/{i}", "category": "Sports"} for i in range(4)
    ]
    rows += [{"record_id": "b", "status": "ok", "url": "https://b.example/", "category": "World & Politics"}]
    rows += [
        {"record_id": f"c{i}", "status": "fetch:http_error", "reason": "HTTP 404", "url": f"https://c.example/{i}"}
        for i in range(5)
    ]
    data, path = stored_export(tmp_path, rows)
    shown = export_overview(data, path)
    assert "| Sports | 4 | " + "█" * 30 + " |" in shown
    assert "| World \\& Politics | 1 | " + "█" * 8 + " |" in shown  # 1/4 of the longest bar
    assert "5 record(s) without a category." in shown
    assert "5 of 10 record(s) did not go through." in shown
    failure = next(line for line in shown.splitlines() if line.startswith("| fetch |"))
    assert failure.startswith("| fetch | http\\_error | HTTP 404 | 5 | ")
    assert failure.count("`https://c.example/") == 3  # a few examples, not every URL


def test_values_from_the_web_cannot_become_markup_or_links(tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) | *bold*"
    rows: list[dict[str, object]] = [
        {"record_id": "x", "status": "classify:error", "reason": hostile, "url": "https://e.example/a|b`c"}
    ]
    data, path = stored_export(tmp_path, rows)
    shown = export_overview(data, path)
    row = next(line for line in shown.splitlines() if line.startswith("| classify |"))
    cells = re.split(r"(?<!\\)\|", row)[1:-1]  # a table cell ends at a `|` that is not escaped
    assert len(cells) == 5  # no `|` from the data splits one
    assert not re.search(r"(?<!\\)[<\[*]", cells[2])  # no tag, link or emphasis starts unescaped
    assert "\\<img src=x" in cells[2]  # shown as text
    assert "`https://e.example/a%7Cb%60c`" in row
    assert md_text("a\nb  c") == "a b c"


def test_a_day_where_everything_went_through_says_so_and_many_categories_are_cut(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"record_id": f"r{i}", "status": "ok", "url": f"https://x.example/{i}", "category": f"category {i:02d}"}
        for i in range(MAX_CATEGORIES + 5)
    ]
    data, path = stored_export(tmp_path, rows)
    shown = export_overview(data, path)
    assert "Every record went through." in shown
    assert "5 more categories, 5 record(s)." in shown
    assert shown.count("█ |") == MAX_CATEGORIES
