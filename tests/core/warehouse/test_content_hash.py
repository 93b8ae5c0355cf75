"""A partition's content version: the same for an identical rerun, another one for a changed row."""

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from content_pipeline.schemas import CATEGORIZE_SCHEMA, CLASSIFY_SCHEMA, FETCH_SCHEMA, frame
from content_pipeline.warehouse.content_hash import combined_version, content_version, stage_content_version
from content_pipeline.warehouse.partition_store import PartitionStore

DAY = "2026-11-24"


def fetched(run: int = 0, body: bytes = b"<html>a</html>") -> pl.DataFrame:
    """Two fetched pages as run number `run` stores them: the first run gets 200s, a rerun revalidates (304)."""
    rows: list[dict[str, object]] = [
        {
            "record_id": record_id,
            "url": f"https://example.org/{record_id}",
            "status": "ok",
            "http_status": 200 if run == 0 else 304,
            "body": body if record_id == "a" else b"<html>b</html>",
            "bytes": len(body),
            "elapsed_ms": 12.5 + run,
            "attempts": 1,
            "cache": None if run == 0 else "not_modified",
            "fetched_at": datetime(2026, 11, 24, 8, run, tzinfo=UTC),
        }
        for record_id in ("a", "b")
    ]
    return frame(rows, FETCH_SCHEMA)


def categorized(cache: str = "miss", category: str = "Science") -> pl.DataFrame:
    paid = cache == "miss"
    row: dict[str, object] = {
        "record_id": "a",
        "status": "ok",
        "category": category,
        "tags": ["x", "y"],
        "tokens_in": 120 if paid else 0,
        "tokens_out": 40 if paid else 0,
        "cost_usd": 0.001 if paid else 0.0,
        "cache": cache,
    }
    return frame([row], CATEGORIZE_SCHEMA)


def test_an_identical_rerun_gives_the_same_version_and_a_changed_row_another() -> None:
    assert content_version(fetched()) == content_version(fetched())
    assert content_version(fetched()) != content_version(fetched(body=b"<html>changed</html>"))


def test_the_version_does_not_depend_on_row_order() -> None:
    data = fetched()
    assert content_version(data) == content_version(data.reverse())


def test_a_new_column_or_a_new_row_changes_the_version() -> None:
    data = fetched()
    assert content_version(data) != content_version(data.with_columns(pl.lit("x").alias("extra")))
    assert content_version(data) != content_version(pl.concat([data, data.head(1)]))
    assert content_version(data.head(0)) == content_version(fetched().head(0))


def test_a_fetch_rerun_that_revalidated_every_page_keeps_its_version() -> None:
    first, rerun = fetched(run=0), fetched(run=1)
    assert content_version(first) != content_version(rerun)  # timings, 304s and cache differ
    assert stage_content_version("fetch", first) == stage_content_version("fetch", rerun)
    assert stage_content_version("fetch", first) != stage_content_version("fetch", fetched(1, b"<p>new</p>"))


def test_a_categorize_rerun_answered_from_the_ai_cache_keeps_its_version() -> None:
    assert stage_content_version("categorize", categorized("miss")) == stage_content_version(
        "categorize", categorized("hit")
    )
    assert stage_content_version("categorize", categorized()) != stage_content_version(
        "categorize", categorized(category="Sports")
    )


def test_gemini_visions_accounting_in_details_does_not_count_but_its_answer_does() -> None:
    def classified(**details: object) -> pl.DataFrame:
        row: dict[str, object] = {"record_id": "a", "kind": "image", "status": "ok", "details": json.dumps(details)}
        return frame([row], CLASSIFY_SCHEMA)

    paid = classified(visual_category="photo", visual_cache="miss", visual_tokens_in=120, visual_cost_usd=0.001)
    cached = classified(visual_category="photo", visual_cache="hit", visual_tokens_in=0, visual_cost_usd=0.0)
    other = classified(visual_category="graphic", visual_cache="hit", visual_tokens_in=0, visual_cost_usd=0.0)
    assert stage_content_version("classify", paid) == stage_content_version("classify", cached)
    assert stage_content_version("classify", paid) != stage_content_version("classify", other)


def test_a_stored_partition_has_the_version_of_the_frame_that_was_written(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path)
    for asset, data in (("fetch", fetched()), ("categorize", categorized())):
        store.write(asset, DAY, data)
        assert store.stored_version(asset, DAY) == stage_content_version(asset, data)
        store.write(asset, DAY, data)  # rewritten: same file content, same version
        assert store.stored_version(asset, DAY) == stage_content_version(asset, data)


def test_several_days_combine_into_one_version_and_one_day_keeps_its_own() -> None:
    versions = {"2026-11-23": "aaa", "2026-11-24": "bbb"}
    assert combined_version({"2026-11-24": "bbb"}) == "bbb"
    assert combined_version(versions) == combined_version(dict(reversed(versions.items())))
    assert combined_version(versions) != combined_version({**versions, "2026-11-24": "ccc"})
