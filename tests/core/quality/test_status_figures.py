"""What the UI shows of a partition's statuses: counts, failures by reason, ok share and failure rate, bounded."""

from collections.abc import Sequence

import polars as pl

from content_pipeline.quality.status_figures import (
    MAX_FAILURE_GROUPS,
    MAX_STATUSES,
    OTHERS,
    failure_groups,
    failure_rate,
    ok_share,
    status_counts,
)


def frame(statuses: Sequence[str | None], reasons: Sequence[str] | None = None) -> pl.DataFrame:
    reasons = reasons if reasons is not None else ["" if s == "ok" else f"because {s}" for s in statuses]
    return pl.DataFrame(
        {"status": list(statuses), "reason": list(reasons)}, schema={"status": pl.String, "reason": pl.String}
    )


def test_status_counts_are_most_frequent_first_with_their_share() -> None:
    counted = status_counts(frame(["ok", "ok", "ok", "timeout", None]))
    assert [(c.status, c.records, c.share) for c in counted] == [
        ("ok", 3, 0.6),
        ("(none)", 1, 0.2),
        ("timeout", 1, 0.2),
    ]


def test_past_the_top_statuses_the_rest_are_summed_in_one_row() -> None:
    statuses = [f"s{i:03d}" for i in range(MAX_STATUSES + 10)]
    counted = status_counts(frame(statuses))
    assert len(counted) == MAX_STATUSES + 1
    assert (counted[-1].status, counted[-1].records) == (OTHERS, 10)


def test_failures_leave_out_ok_and_skipped_and_group_by_status_and_reason() -> None:
    data = frame(
        ["ok", "skipped", "http_error", "http_error", "http_error", "timeout"],
        ["", "ingest: duplicate", "HTTP 404", "HTTP 404", "HTTP 500", "read timed out"],
    )
    failures = failure_groups("fetch", data)
    shown = [(g.stage, g.status, g.reason, g.records) for g in failures.groups]
    assert shown == [
        ("fetch", "http_error", "HTTP 404", 2),
        ("fetch", "http_error", "HTTP 500", 1),
        ("fetch", "timeout", "read timed out", 1),
    ]
    assert (failures.records, failures.more_groups, failures.more_records) == (4, 0, 0)


def test_export_failures_name_the_stage_that_stopped_the_record() -> None:
    data = frame(["ok", "fetch:timeout", "ingest:duplicate", "export:filing_error"])
    assert [(g.stage, g.status) for g in failure_groups("export", data).groups] == [
        ("export", "filing_error"),
        ("fetch", "timeout"),
        ("ingest", "duplicate"),
    ]


def test_a_day_of_100000_distinct_reasons_shows_a_top_list_and_sums_up_the_rest() -> None:
    rows = 100_000
    data = frame(["http_error"] * rows, [f"HTTP 404 for /page/{i}" for i in range(rows)])
    failures = failure_groups("fetch", data)
    assert len(failures.groups) == MAX_FAILURE_GROUPS
    assert failures.records == rows
    assert (failures.more_groups, failures.more_records) == (rows - MAX_FAILURE_GROUPS, rows - MAX_FAILURE_GROUPS)


def test_ok_share_and_failure_rate_follow_the_stage() -> None:
    fetched = frame(["ok", "ok", "http_error", "skipped"])
    assert ok_share("fetch", fetched) == 0.5
    assert failure_rate("fetch", fetched) == round(1 / 3, 4)  # skipped rows were not tried
    classified = frame(["ok", "nothing_useful", "error", "skipped"])
    assert failure_rate("classify", classified) == round(1 / 3, 4)  # as the failure_rate check counts: errors fail
    filed = frame(["filed", "filed", "failed", "skipped"])
    assert (ok_share("filed_images", filed), failure_rate("filed_images", filed)) == (0.5, round(1 / 3, 4))
    exported = frame(["ok", "fetch:timeout", "ingest:duplicate", "ok"])
    assert (ok_share("export", exported), failure_rate("export", exported)) == (0.5, 0.5)


def test_an_empty_day_has_no_share_and_no_rate_rather_than_a_made_up_zero() -> None:
    empty = frame([])
    assert ok_share("ingest", empty) is None and failure_rate("fetch", empty) is None
    assert status_counts(empty) == [] and failure_groups("fetch", empty).groups == []
