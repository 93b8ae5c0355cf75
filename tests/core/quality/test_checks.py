"""The quality checks of every stage pass on a sound partition and each one fails, readably, on a broken one."""

from datetime import date

import polars as pl
import pytest

from content_pipeline.export.image_items import filed_rows, with_filing
from content_pipeline.export.records import build_records
from content_pipeline.quality.checks import (
    OUTPUT_CHECKS,
    STAGE_CHECKS,
    CheckOutcome,
    check_names,
    expected_schema,
    stage_checks,
)
from content_pipeline.schemas import (
    CATEGORIZE_SCHEMA,
    CLASSIFY_SCHEMA,
    FETCH_SCHEMA,
    FILED_IMAGES_SCHEMA,
    INGEST_SCHEMA,
    frame,
)
from content_pipeline.stages import Stage

TAXONOMY = ("Sports", "Health", "Other")
DAY = date(2026, 11, 24)
SCHEMAS = {
    "ingest": INGEST_SCHEMA,
    "fetch": FETCH_SCHEMA,
    "classify": CLASSIFY_SCHEMA,
    "categorize": CATEGORIZE_SCHEMA,
    "filed_images": FILED_IMAGES_SCHEMA,
}
PARTITION_STAGES = [stage for stage in STAGE_CHECKS if Stage(stage).in_warehouse]  # whose rows stage_checks reads


def stage_frames() -> dict[str, pl.DataFrame]:
    """A sound partition of every stage: one record that went through, one rejected at ingest."""
    frames = {
        "ingest": frame(
            [
                {"record_id": "a", "url": "https://a.org/", "status": "ok", "reason": "", "added_on": DAY},
                {"record_id": "b", "url": "", "status": "empty_url", "reason": "the url cell is empty"},
            ],
            INGEST_SCHEMA,
        ),
        "fetch": frame([{"record_id": "a", "status": "ok"}, {"record_id": "b", "status": "skipped"}], FETCH_SCHEMA),
        "classify": frame(
            [{"record_id": "a", "status": "ok", "kind": "article"}, {"record_id": "b", "status": "skipped"}],
            CLASSIFY_SCHEMA,
        ),
        "categorize": frame(
            [
                {"record_id": "a", "status": "ok", "category": "Sports", "tokens_in": 10, "cost_usd": 0.0},
                {"record_id": "b", "status": "skipped"},
            ],
            CATEGORIZE_SCHEMA,
        ),
    }
    frames["export"] = with_filing(build_records(*frames.values()), filed_rows([]))
    frames["filed_images"] = frame(
        [{"record_id": "i", "status": "filed", "reason": "", "path": "photo/i.jpg"}], FILED_IMAGES_SCHEMA
    )
    return frames


def by_name(outcomes: list[CheckOutcome]) -> dict[str, CheckOutcome]:
    return {outcome.name: outcome for outcome in outcomes}


def run(stage: str, data: pl.DataFrame, bound: float = 0.5) -> dict[str, CheckOutcome]:
    return by_name(stage_checks(stage, data, max_failure_rate=bound, taxonomy_names=TAXONOMY))


# A partition that breaks every check of its stage: a repeated id, an unknown status, an extra column, two
# failures of three attempted rows, a category outside the taxonomy, a row left for lack of quota.
BROKEN_ROWS = {
    "ingest": ["empty_url", "empty_url", "teleported"],
    "fetch": ["timeout", "timeout", "teleported"],
    "classify": ["error", "error", "teleported"],
    "categorize": ["error", "error", "teleported", "quota_exhausted"],
    "filed_images": ["filed", "filed", "already_filed"],  # already_filed is a filing's result, never where it is now
}


def broken(stage: str) -> pl.DataFrame:
    if stage == "export":
        records = stage_frames()["export"]
        statuses = pl.Series(["fetch:timeout", "fetch:teleported"])
        doubled = pl.concat([records, records.head(1)]).with_columns(status=pl.concat([statuses, statuses.head(1)]))
        return doubled.drop("filed_reason")
    ids = ["a", "a", "c", "d"]
    rows: list[dict[str, object]] = [
        {"record_id": ids[i], "status": status, "reason": f"{status} #{i}", "category": "Gossip" if i == 2 else None}
        for i, status in enumerate(BROKEN_ROWS[stage])
    ]
    return frame(rows, SCHEMAS[stage]).with_columns(surprise=pl.lit(1))


def frame_checks(stage: str) -> list[str]:
    """The checks of `stage` that read only its rows (the others are in output_checks.py)."""
    return [name for name in check_names(stage) if name not in OUTPUT_CHECKS]


@pytest.mark.parametrize("stage", PARTITION_STAGES)
def test_a_sound_partition_passes_every_check_of_its_stage(stage: str) -> None:
    outcomes = stage_checks(stage, stage_frames()[stage], max_failure_rate=0.5, taxonomy_names=TAXONOMY)
    assert [o.name for o in outcomes] == frame_checks(stage)
    assert [o.name for o in outcomes if not o.passed] == [], [o.description for o in outcomes if not o.passed]


@pytest.mark.parametrize("stage", PARTITION_STAGES)
def test_a_broken_partition_fails_every_check_of_its_stage(stage: str) -> None:
    outcomes = stage_checks(stage, broken(stage), max_failure_rate=0.5, taxonomy_names=TAXONOMY)
    assert {o.name: o.passed for o in outcomes} == dict.fromkeys(frame_checks(stage), False)
    assert all(o.description for o in outcomes)


def test_each_stage_runs_the_checks_the_issue_asks_for() -> None:
    common = ["unique_record_id", "known_statuses", "schema_unchanged"]
    assert {stage: list(names) for stage, names in STAGE_CHECKS.items()} == {
        "ingest": common,
        "fetch": [*common, "failure_rate"],
        "classify": [*common, "failure_rate"],
        "categorize": [*common, "failure_rate", "categories_in_taxonomy", "needs_rerun"],
        "filed_images": [*common, "every_image_filed"],
        "export": common,
        "export_files": ["files_hold_every_row"],
        "sheet_results": ["every_record_written"],
    }


def test_only_the_rerun_warning_lets_a_failed_partition_flow_downstream() -> None:
    outcomes = stage_checks("categorize", broken("categorize"), max_failure_rate=0.5, taxonomy_names=TAXONOMY)
    assert [o.name for o in outcomes if not o.blocking] == ["needs_rerun"]


def test_repeated_and_missing_record_ids_are_named_with_their_counts() -> None:
    data = frame(
        [{"record_id": rid, "status": "ok"} for rid in ["x1", "x1", "x1", "y2", "y2", "z", None]], FETCH_SCHEMA
    )
    outcome = run("fetch", data)["unique_record_id"]
    assert not outcome.passed and outcome.blocking
    assert outcome.description == "5 rows share 2 record_id(s): x1 (3), y2 (2); 1 row(s) have no record_id"
    assert outcome.metadata["examples"] == {"x1": 3, "y2": 2}


def test_a_missing_status_or_an_unknown_one_is_named() -> None:
    rows: list[dict[str, object]] = [
        {"record_id": "a", "status": "ok"},
        {"record_id": "b"},
        {"record_id": "c", "status": "lost"},
    ]
    data = frame(rows, FETCH_SCHEMA)
    outcome = run("fetch", data)["known_statuses"]
    assert not outcome.passed
    assert (
        "2 row(s)" in outcome.description and "lost (1)" in outcome.description and "(none) (1)" in outcome.description
    )


@pytest.mark.parametrize(
    ("status", "known"),
    [("ok", True), ("fetch:http_error", True), ("categorize:quota_exhausted", True), ("fetch:ok", False),
     ("fetch:quota_exhausted", False), ("mars:error", False), ("http_error", False)],
)  # fmt: skip
def test_export_statuses_are_checked_stage_by_stage(status: str, known: bool) -> None:
    records = stage_frames()["export"].with_columns(status=pl.lit(status))
    assert run("export", records)["known_statuses"].passed is known


def test_a_dropped_column_an_added_one_and_a_changed_type_are_each_reported() -> None:
    data = stage_frames()["fetch"].drop("etag").with_columns(pl.col("bytes").cast(pl.String), extra_col=pl.lit(1))
    outcome = run("fetch", data)["schema_unchanged"]
    assert not outcome.passed
    assert "missing column(s): etag" in outcome.description
    assert "unexpected column(s): extra_col" in outcome.description
    assert "bytes: String instead of Int64" in outcome.description


def test_the_export_schema_follows_build_records_and_filing() -> None:
    schema = expected_schema("export")
    assert list(schema)[:3] == ["record_id", "status", "reason"]
    assert {"fetch_status", "categorize_reason", "filed_status", "tags"} <= set(schema)
    assert run("export", stage_frames()["export"].drop("filed_path"))["schema_unchanged"].description == (
        "missing column(s): filed_path"
    )


def test_a_utc_timestamp_read_back_through_duckdb_is_the_same_type() -> None:
    data = stage_frames()["fetch"].with_columns(pl.col("fetched_at").dt.convert_time_zone("Etc/UTC"))
    assert run("fetch", data)["schema_unchanged"].passed


def fetched(*statuses: str) -> pl.DataFrame:
    reasons = {"timeout": "no answer within 10 s", "http_error": "HTTP 404 Not Found"}
    rows: list[dict[str, object]] = [
        {"record_id": f"r{i}", "status": s, "reason": reasons.get(s, "")} for i, s in enumerate(statuses)
    ]
    return frame(rows, FETCH_SCHEMA)


def test_fetch_failure_rate_counts_only_attempted_rows_and_names_the_top_reasons() -> None:
    outcome = run("fetch", fetched("ok", "timeout", "timeout", "http_error", *["skipped"] * 6))["failure_rate"]
    assert not outcome.passed and outcome.blocking
    assert outcome.description == (
        "3 of 4 attempted rows failed (75.0%), above the bound of 50.0%; top reasons: "
        "timeout (2, e.g. 'no answer within 10 s'), http_error (1, e.g. 'HTTP 404 Not Found')"
    )
    assert outcome.metadata["failure_rate"] == 0.75 and outcome.metadata["max_failure_rate"] == 0.5
    assert outcome.metadata["top_reasons"] == {
        "timeout": {"rows": 2, "example": "no answer within 10 s"},
        "http_error": {"rows": 1, "example": "HTTP 404 Not Found"},
    }


def test_the_failure_rate_bound_is_the_callers() -> None:
    data = fetched("ok", "timeout", "timeout", "http_error")
    assert run("fetch", data, bound=0.8)["failure_rate"].passed
    assert "within the bound of 80.0%" in run("fetch", data, bound=0.8)["failure_rate"].description
    assert not run("fetch", fetched("ok", "timeout"), bound=0.0)["failure_rate"].passed
    assert run("fetch", fetched("ok", "timeout"), bound=0.5)["failure_rate"].passed  # at the bound is within it
    with pytest.raises(ValueError, match="between 0 and 1"):
        stage_checks("fetch", data, max_failure_rate=50)


@pytest.mark.parametrize("data", [fetched(), fetched("skipped", "skipped")], ids=["empty", "all skipped"])
def test_a_partition_with_nothing_attempted_passes_the_failure_rate(data: pl.DataFrame) -> None:
    outcome = run("fetch", data)["failure_rate"]
    assert outcome.passed and "nothing to measure" in outcome.description


def test_classify_counts_errors_but_not_pages_with_nothing_useful() -> None:
    rows: list[dict[str, object]] = [
        {"record_id": str(i), "status": s} for i, s in enumerate(["nothing_useful"] * 3 + ["ok", "skipped"])
    ]
    assert run("classify", frame(rows, CLASSIFY_SCHEMA))["failure_rate"].passed
    rows = [{"record_id": str(i), "status": s} for i, s in enumerate(["error", "error", "ok", "skipped"])]
    assert run("classify", frame(rows, CLASSIFY_SCHEMA))["failure_rate"].description.startswith("2 of 3 attempted")


def test_categorize_does_not_count_rows_it_did_not_ask_about() -> None:
    statuses = ["ok", "error", "no_text", "quota_exhausted", "budget_reached", "skipped"]
    data = frame([{"record_id": str(i), "status": s} for i, s in enumerate(statuses)], CATEGORIZE_SCHEMA)
    outcome = run("categorize", data)["failure_rate"]
    assert outcome.passed and outcome.metadata["attempted"] == 2 and outcome.metadata["failed"] == 1


def test_categories_outside_the_taxonomy_are_named_and_missing_ones_ignored() -> None:
    categories = ["Sports", "Gossip", "Gossip", "sports", None]
    rows: list[dict[str, object]] = [
        {"record_id": str(i), "status": "ok", "category": c} for i, c in enumerate(categories)
    ]
    outcome = run("categorize", frame(rows, CATEGORIZE_SCHEMA))["categories_in_taxonomy"]
    assert not outcome.passed
    assert outcome.description == "3 row(s) have a category outside the taxonomy: Gossip (2), sports (1)"


def test_categorize_checks_need_the_taxonomy() -> None:
    with pytest.raises(ValueError, match="taxonomy_names"):
        stage_checks("categorize", stage_frames()["categorize"], max_failure_rate=0.5)


def test_rows_left_by_the_quota_or_the_budget_are_a_warning_to_rerun() -> None:
    statuses = ["ok", "quota_exhausted", "quota_exhausted", "budget_reached"]
    data = frame([{"record_id": str(i), "status": s} for i, s in enumerate(statuses)], CATEGORIZE_SCHEMA)
    outcome = run("categorize", data)["needs_rerun"]
    assert not outcome.passed and not outcome.blocking
    assert outcome.description.startswith("3 row(s) were not categorized: quota_exhausted (2), budget_reached (1)")
    assert outcome.metadata == {"rows": 3, "by_status": {"quota_exhausted": 2, "budget_reached": 1}}


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="no checks for stage 'publish'"):
        stage_checks("publish", pl.DataFrame(), max_failure_rate=0.5)


def test_examples_are_capped_at_five() -> None:
    data = frame([{"record_id": str(i // 2), "status": "ok"} for i in range(20)], INGEST_SCHEMA)
    outcome = run("ingest", data)["unique_record_id"]
    assert len(outcome.metadata["examples"]) == 5 and outcome.description.endswith("and 5 more")  # type: ignore[arg-type]
