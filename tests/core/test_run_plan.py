"""Which days a sheet sensor runs: new or changed rows only, each set of rows once, newest first."""

from content_pipeline.run_plan import load_cursor, plan_runs


def test_a_first_tick_runs_every_day_with_rows_and_the_next_tick_runs_nothing() -> None:
    runs, cursor = plan_runs({"2026-11-23": "aaa", "2026-11-24": "bbb"}, None)
    assert [r.day for r in runs] == ["2026-11-24", "2026-11-23"]
    assert [r.run_key for r in runs] == ["sheet:2026-11-24:bbb", "sheet:2026-11-23:aaa"]
    again, same = plan_runs({"2026-11-23": "aaa", "2026-11-24": "bbb"}, cursor)
    assert again == [] and same == cursor


def test_new_rows_on_a_day_run_that_day_again_under_a_new_run_key() -> None:
    _, cursor = plan_runs({"2026-11-24": "bbb"}, None)
    runs, _ = plan_runs({"2026-11-24": "ccc"}, cursor)
    assert [(r.day, r.run_key) for r in runs] == [("2026-11-24", "sheet:2026-11-24:ccc")]


def test_a_lost_cursor_asks_again_with_the_same_run_key_so_dagster_drops_the_duplicate() -> None:
    first, _ = plan_runs({"2026-11-24": "bbb"}, None)
    again, _ = plan_runs({"2026-11-24": "bbb"}, "not json")
    assert [r.run_key for r in again] == [r.run_key for r in first]
    assert load_cursor("[1, 2]") == {}


def test_a_sheet_full_of_history_is_worked_through_a_few_days_a_tick() -> None:
    digests = {f"2026-11-{d:02d}": f"d{d}" for d in range(1, 25)}
    runs, cursor = plan_runs(digests, None, limit=10)
    assert [r.day for r in runs] == [f"2026-11-{d:02d}" for d in range(24, 14, -1)]
    later, cursor = plan_runs(digests, cursor, limit=10)
    assert [r.day for r in later] == [f"2026-11-{d:02d}" for d in range(14, 4, -1)]
    last, cursor = plan_runs(digests, cursor, limit=10)
    assert [r.day for r in last] == [f"2026-11-{d:02d}" for d in range(4, 0, -1)]
    assert plan_runs(digests, cursor, limit=10)[0] == []


def test_days_without_a_partition_are_not_run() -> None:
    runs, _ = plan_runs({"1999-12-31": "old", "2026-11-24": "bbb"}, None, allowed_days={"2026-11-24"})
    assert [r.day for r in runs] == ["2026-11-24"]
