"""Asset checks on partitioned stages in one in-process run: a failed blocking check stops the stages downstream,
for one day and for a range of days (a backfill in one run); a warning does not. Tiny synthetic stages, named like
the pipeline's, stand in for the real ones."""

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.checks import check_results, check_specs
from assets.metadata import cost_metadata, partition_metadata
from content_pipeline.quality.checks import CheckOutcome, check_names, stage_checks
from content_pipeline.schemas import CATEGORIZE_SCHEMA, FETCH_SCHEMA, frame

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01")
DAY = "2026-01-10"
RANGE = {"dagster/asset_partition_range_start": "2026-01-08", "dagster/asset_partition_range_end": "2026-01-10"}
TAXONOMY = ("Sports", "Health")
SCHEMAS = {"fetch": FETCH_SCHEMA, "categorize": CATEGORIZE_SCHEMA}
SOUND = ["ok", "ok", "skipped"]
FAILING = ["timeout", "timeout", "ok", "skipped"]  # 2 of 3 attempted rows failed: above the bound of 50%


def partition(stage: str, statuses: list[str]) -> pl.DataFrame:
    rows: list[dict[str, object]] = [
        {"record_id": f"r{i}", "status": s, "reason": f"{s} reason", "category": "Sports" if s == "ok" else None,
         "tokens_in": 10, "tokens_out": 2, "cost_usd": 0.001, "cache": "miss"}
        for i, s in enumerate(statuses)
    ]  # fmt: skip
    return frame(rows, SCHEMAS[stage])


Statuses = Callable[[str], list[str]]


class Pair:
    """A checked stage and the stage after it, over daily partitions, in one in-process job."""

    def __init__(
        self,
        stage: str,
        after: str,
        statuses: Statuses,
        tmp_path: Path,
        condition: dg.AutomationCondition | None = None,
    ) -> None:
        self.calls: Counter[str] = Counter()

        @dg.asset(
            name=stage, partitions_def=DAILY, check_specs=check_specs(stage), retry_policy=dg.RetryPolicy(max_retries=2)
        )
        def checked(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
            """As the stages do it (assets/ranges.py): day by day, each day's metadata and check outcomes kept."""
            self.calls[stage] += 1
            outcomes: dict[str, list[CheckOutcome]] = {}
            for day in context.partition_keys:
                data = partition(stage, statuses(day))
                metadata = partition_metadata(
                    stage, data, tmp_path / day / "part.parquet", ["record_id", "status", "reason"]
                )
                context.add_asset_metadata(metadata | cost_metadata(data), partition_key=day)
                outcomes[day] = stage_checks(stage, data, max_failure_rate=0.5, taxonomy_names=TAXONOMY)
            return dg.MaterializeResult(check_results=check_results(stage, outcomes))

        @dg.asset(name=after, partitions_def=DAILY, deps=[stage], automation_condition=condition)
        def downstream(context: dg.AssetExecutionContext) -> None:
            self.calls[after] += len(context.partition_keys)

        job = dg.define_asset_job("job", selection=[checked, downstream], executor_def=dg.in_process_executor)
        self.defs = dg.Definitions(assets=[checked, downstream], jobs=[job])
        self.job = self.defs.resolve_job_def("job")
        self.stage, self.after = stage, after

    def run(self, instance: dg.DagsterInstance, **kwargs: object) -> dg.ExecuteInProcessResult:
        return self.job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_sound_partition_passes_every_check_and_flows_downstream(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    pair = Pair("fetch", "classify", lambda day: SOUND, tmp_path)
    result = pair.run(instance, partition_key=DAY)
    assert result.success and pair.calls == {"fetch": 1, "classify": 1}
    shown = evaluations(result)
    assert list(shown) == list(check_names("fetch")) and all(e.passed for e in shown.values())
    assert shown["failure_rate"].description == f"{DAY}: 0 of 2 attempted rows failed (0.0%), within the bound of 50.0%"


def test_a_failed_blocking_check_stops_the_next_stage_in_the_same_run_without_retrying(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    pair = Pair("fetch", "classify", lambda day: FAILING, tmp_path)
    result = pair.run(instance, partition_key=DAY)
    assert not result.success and result.is_node_failed("fetch")
    assert pair.calls == {"fetch": 1}  # classify never ran; the retry policy did not rerun fetch
    assert instance.get_materialized_partitions(dg.AssetKey("fetch")) == {DAY}  # the partition is recorded
    assert instance.get_materialized_partitions(dg.AssetKey("classify")) == set()
    failed = evaluations(result)["failure_rate"]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR and failed.blocking
    assert failed.description is not None and "2 of 3 attempted rows failed (66.7%)" in failed.description
    assert failed.metadata["max_failure_rate"].value == 0.5
    error = result.get_step_failure_events()[0].step_failure_data.error
    assert error is not None and "blocking asset check failed" in error.message and "failure_rate" in error.message


def test_one_bad_day_of_a_backfill_run_stops_the_next_stage_for_the_whole_range(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    pair = Pair("fetch", "classify", lambda day: FAILING if day == "2026-01-09" else SOUND, tmp_path)
    result = pair.run(instance, tags=RANGE)
    assert not result.success and pair.calls == {"fetch": 1}
    assert instance.get_materialized_partitions(dg.AssetKey("fetch")) == {"2026-01-08", "2026-01-09", "2026-01-10"}
    assert instance.get_materialized_partitions(dg.AssetKey("classify")) == set()
    shown = evaluations(result)
    assert len(result.get_asset_check_evaluations()) == len(check_names("fetch"))  # one result per check per run
    failed = shown["failure_rate"]
    assert not failed.passed and failed.metadata["failed_partitions"].value == ["2026-01-09"]
    assert failed.description is not None and failed.description.startswith("1 of 3 days failed (2026-01-08 to")
    by_day = failed.metadata["by_day"].value
    assert isinstance(by_day, dict) and by_day["2026-01-08"]["passed"] and not by_day["2026-01-09"]["passed"]
    unique = shown["unique_record_id"]
    assert unique.passed and unique.description == "all 3 days passed (2026-01-08 to 2026-01-10)"


def test_a_sound_backfill_run_flows_downstream_for_every_day(instance: dg.DagsterInstance, tmp_path: Path) -> None:
    pair = Pair("fetch", "classify", lambda day: SOUND, tmp_path)
    result = pair.run(instance, tags=RANGE)
    assert result.success and pair.calls == {"fetch": 1, "classify": 3}
    assert instance.get_materialized_partitions(dg.AssetKey("classify")) == {"2026-01-08", "2026-01-09", "2026-01-10"}


def test_rows_waiting_for_quota_are_a_warning_that_lets_the_run_go_on(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    pair = Pair("categorize", "export", lambda day: ["ok", "quota_exhausted", "budget_reached"], tmp_path)
    result = pair.run(instance, partition_key=DAY)
    assert result.success and pair.calls == {"categorize": 1, "export": 1}
    shown = evaluations(result)
    warning = shown["needs_rerun"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN and not warning.blocking
    assert warning.metadata["rows"].value == 2
    assert all(e.passed for name, e in shown.items() if name != "needs_rerun")


def test_a_checked_materialization_carries_the_metadata_a_person_reads(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    pair = Pair("categorize", "export", lambda day: ["ok", "ok", "error"], tmp_path)
    assert pair.run(instance, partition_key=DAY).success
    event = instance.get_latest_materialization_event(dg.AssetKey("categorize"))
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    assert metadata["dagster/row_count"].value == 3
    schema = metadata["dagster/column_schema"].value
    assert isinstance(schema, dg.TableSchema) and [c.name for c in schema.columns] == list(CATEGORIZE_SCHEMA)
    status_counts = metadata["status_counts"]
    assert isinstance(status_counts, dg.TableMetadataValue)
    assert [r.data for r in status_counts.records] == [
        {"status": "ok", "records": 2, "share": 0.6667},
        {"status": "error", "records": 1, "share": 0.3333},
    ]
    assert (metadata["ok_share"].value, metadata["failure_rate"].value) == (0.6667, 0.3333)
    assert str(metadata["preview"].value).startswith("| record_id | status | reason |\n|---|---|---|\n| r0 | ok |")
    assert (metadata["tokens_in"].value, metadata["tokens_out"].value, metadata["cost_usd"].value) == (30, 6, 0.003)
    assert metadata["cache_misses"].value == 3


def test_check_results_refuse_outcomes_of_another_stage() -> None:
    other = [CheckOutcome("unique_record_id", True, True, "fine", {})]
    with pytest.raises(ValueError, match="no outcome of check 'known_statuses' for fetch"):
        check_results("fetch", {DAY: other})


def automation_requests(condition: dg.AutomationCondition, statuses: list[str], tmp_path: Path) -> set[str]:
    """The partitions of `classify` that automation requests after `fetch` ran with `statuses` on its latest day."""
    pair = Pair("fetch", "classify", lambda day: statuses, tmp_path, condition)
    with dg.instance_for_test() as instance:
        before = dg.evaluate_automation_conditions(defs=pair.defs, instance=instance)
        only_fetch = [dg.AssetKey("fetch")]  # as a run of fetch alone, from the UI or a sensor, would
        pair.run(instance, partition_key=DAILY.get_last_partition_key(), asset_selection=only_fetch)
        after = dg.evaluate_automation_conditions(defs=pair.defs, instance=instance, cursor=before.cursor)
        return {str(key) for key in after.get_requested_partitions(dg.AssetKey("classify"))}


def test_automation_must_wait_for_blocking_checks_or_it_runs_the_next_stage_on_a_bad_partition(tmp_path: Path) -> None:
    eager = dg.AutomationCondition.eager()
    guarded = eager & dg.AutomationCondition.all_deps_blocking_checks_passed()
    latest = DAILY.get_last_partition_key()
    assert automation_requests(eager, FAILING, tmp_path) == {latest}  # plain eager ignores the failed check
    assert automation_requests(guarded, FAILING, tmp_path) == set()
    assert automation_requests(guarded, SOUND, tmp_path) == {latest}
