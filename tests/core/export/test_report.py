"""The partition report: one HTML file that opens offline, with the category chart, failures, counts and cost."""

from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from content_pipeline.export.image_items import FILING_COLUMNS, filed_rows, with_filing
from content_pipeline.export.records import build_records
from content_pipeline.export.report import MAX_FAILURE_ROWS, write_report
from content_pipeline.schemas import CATEGORIZE_SCHEMA, CLASSIFY_SCHEMA, FETCH_SCHEMA, INGEST_SCHEMA, frame

DAY = "2026-11-24"
HOSTILE = "<script>alert('x')</script>"


class Page(HTMLParser):
    """Every element with its attributes, and the text of each element kind, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def records(categories: list[str | None], statuses: list[str], reasons: list[str]) -> pl.DataFrame:
    """Export records as the export stage builds them: the n-th record has the n-th category, fetch status, reason."""
    n = len(categories)
    ids = [f"r{i}" for i in range(n)]
    ok: list[dict[str, object]] = [{"record_id": rid, "status": "ok", "reason": ""} for rid in ids]
    fetched: list[dict[str, object]] = [
        {"record_id": rid, "status": s, "reason": r} for rid, s, r in zip(ids, statuses, reasons, strict=True)
    ]
    kinds = ["article"] * (n - 1) + ["image"]
    answers: list[dict[str, object]] = [
        {"record_id": rid, "status": "ok", "category": c, "tokens_in": 100, "tokens_out": 20, "cost_usd": 0.00025,
         "cache": "hit" if i == n - 1 else "miss"}
        for i, (rid, c) in enumerate(zip(ids, categories, strict=True))
    ]  # fmt: skip
    built = build_records(
        frame(ok, INGEST_SCHEMA),
        frame(fetched, FETCH_SCHEMA),
        frame([row | {"kind": kind} for row, kind in zip(ok, kinds, strict=True)], CLASSIFY_SCHEMA),
        frame(answers, CATEGORIZE_SCHEMA),
    )
    return with_filing(built, filed_rows([]))


def sample() -> pl.DataFrame:
    categories: list[str | None] = ["Sports", "Sports", "Health", "Sports", HOSTILE, None]
    statuses = ["ok", "ok", "ok", "http_error", "http_error", "timeout"]
    reasons = ["", "", "", "HTTP 404 Not Found", "HTTP 404 Not Found", HOSTILE]
    return records(categories, statuses, reasons)


def test_the_chart_has_one_bar_per_category_with_its_count(tmp_path: Path) -> None:
    page = parse(write_report(sample(), tmp_path / "report.html", DAY))
    bars = [attrs for attrs in page.tags("rect") if attrs.get("class") == "bar"]
    assert {bar["data-category"]: bar["data-count"] for bar in bars} == {"Sports": "3", "Health": "1", HOSTILE: "1"}
    assert len(bars) == 3 and len(page.tags("svg")) == 1
    widths = {bar["data-category"]: float(bar["width"] or 0) for bar in bars}
    assert widths["Sports"] > widths["Health"] == widths[HOSTILE] > 0
    assert "1 record(s) without a category" in page.all_text


def test_hostile_text_from_the_web_is_shown_as_text_never_run(tmp_path: Path) -> None:
    target = write_report(sample(), tmp_path / "report.html", f"{DAY}<b>")
    raw = target.read_text(encoding="utf-8")
    page = parse(target)
    assert page.tags("script") == [] and page.tags("b") == []
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    assert HOSTILE in page.all_text  # the reason and the category, readable as text


def test_the_page_opens_offline_with_nothing_loaded_from_elsewhere(tmp_path: Path) -> None:
    page = parse(write_report(sample(), tmp_path / "report.html", DAY))
    assert page.tags("link") == [] and page.tags("img") == [] and page.tags("iframe") == []
    assert all("src" not in attrs and "href" not in attrs for _, attrs in page.elements)
    assert len(page.tags("style")) == 1


def test_header_failures_counts_and_cost_are_shown(tmp_path: Path) -> None:
    text = parse(write_report(sample(), tmp_path / "report.html", DAY)).all_text
    assert f"Partition {DAY}" in text and "6 record(s)" in text
    assert "Failures (3 of 6 records)" in text
    assert "fetch:http_error HTTP 404 Not Found 2" in text
    assert f"fetch:timeout {HOSTILE} 1" in text
    assert "Records by status status records ok 3 fetch:http_error 2 fetch:timeout 1" in text
    assert "Records by kind kind records article 5 image 1" in text
    assert "tokens_in 600 tokens_out 120 cost_usd 0.001500" in text
    assert "AI cache miss 5 AI cache hit 1" in text
    assert "Images filed" not in text  # no image was filed


def test_a_partition_without_cost_columns_has_no_cost_section(tmp_path: Path) -> None:
    plain = sample().drop("tokens_in", "tokens_out", "cost_usd", "ai_cache")
    text = parse(write_report(plain, tmp_path / "report.html", DAY)).all_text
    assert "Tokens and cost" not in text and "Failures (3 of 6 records)" in text


def test_an_empty_partition_gets_a_report_too(tmp_path: Path) -> None:
    schemas = (INGEST_SCHEMA, FETCH_SCHEMA, CLASSIFY_SCHEMA, CATEGORIZE_SCHEMA)
    empty = with_filing(build_records(*(frame([], schema) for schema in schemas)), filed_rows([]))
    page = parse(write_report(empty, tmp_path / "report.html", DAY))
    assert page.tags("svg") == []
    assert "0 record(s)" in page.all_text and "No categorized records." in page.all_text
    assert "Every record went through." in page.all_text
    assert "tokens_in 0 tokens_out 0 cost_usd 0.000000" in page.all_text


def test_filed_images_are_counted(tmp_path: Path) -> None:
    data = (
        sample()
        .drop(*FILING_COLUMNS)
        .with_columns(
            filed_status=pl.Series(["filed", "filed", None, None, None, "failed"]), filed_path=None, filed_reason=None
        )
    )
    assert (
        "Images filed filed_status records filed 2 failed 1"
        in parse(write_report(data, tmp_path / "r.html", DAY)).all_text
    )


def test_many_distinct_reasons_are_cut_to_a_readable_table(tmp_path: Path) -> None:
    n = MAX_FAILURE_ROWS + 7
    data = records(["Sports"] * n, ["http_error"] * n, [f"HTTP 500 for page {i}" for i in range(n)])
    page = parse(write_report(data, tmp_path / "report.html", DAY))
    assert len(page.tags("tr")) > MAX_FAILURE_ROWS
    assert "7 more reason(s), 7 record(s)." in page.all_text


def test_a_rewrite_replaces_the_report_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / DAY / "report.html"
    write_report(sample(), target, DAY)
    write_report(sample().head(2), target, DAY)
    assert "2 record(s)" in parse(target).all_text
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
