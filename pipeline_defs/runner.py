"""Run the pipeline job through Dagster, in process, on the project's instance: one partition, or a range of days
in as few runs as the stages' backfill policy allows."""

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import dagster as dg

from pipeline_defs.definitions import build_definitions
from pipeline_defs.settings import PROJECT_ROOT, Settings

JOB_NAME = "pipeline_job"
# The run tags that make a run target a partition key range (Dagster's own backfills set the same ones).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_TAG = "content_pipeline/backfill"  # every run of one run_range call: "<from>..<to>"


def project_instance() -> dg.DagsterInstance:
    """The instance under DAGSTER_HOME; the project folder (with its dagster.yaml) when DAGSTER_HOME is unset."""
    if not os.environ.get("DAGSTER_HOME") and (PROJECT_ROOT / "dagster.yaml").is_file():
        os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT)
        os.chdir(PROJECT_ROOT)  # dagster.yaml's storage paths are relative to the project folder
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def run_partition(
    settings: Settings, day: str, instance: dg.DagsterInstance, log_level: str = "DEBUG"
) -> dg.ExecuteInProcessResult:
    """Materialize ingest -> fetch -> classify -> categorize -> export for `day` (YYYY-MM-DD)."""
    job = build_definitions(settings).resolve_job_def(JOB_NAME)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    return job.execute_in_process(run_config=run_config, partition_key=day, instance=instance, raise_on_error=False)


def run_range(
    settings: Settings,
    start: str,
    end: str,
    instance: dg.DagsterInstance,
    log_level: str = "WARNING",
    max_days_per_run: int | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Materialize the whole chain for every day from `start` to `end` (inclusive), one run per batch of days.

    The batches are those a Dagster backfill of the job's assets launches: at most the smallest
    `max_partitions_per_run` of their backfill policies (one run when all are single-run). `max_days_per_run`
    overrides that (a benchmark compares batch sizes with it). A failed run does not stop the later batches: the
    days are independent. Returns one result per run, in order.
    """
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(JOB_NAME)
    size = max_days_per_run or days_per_run(definitions)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    results = []
    for batch in batches(range_keys(definitions, start, end), size):
        tags = {BACKFILL_TAG: f"{start}..{end}"}
        if len(batch) == 1:
            result = job.execute_in_process(
                run_config=run_config, partition_key=batch[0], instance=instance, raise_on_error=False, tags=tags
            )
        else:
            tags |= {RANGE_START_TAG: batch[0], RANGE_END_TAG: batch[-1]}
            result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False, tags=tags)
        results.append(result)
    return results


def range_keys(definitions: dg.Definitions, start: str, end: str) -> list[str]:
    """The job's partition keys from `start` to `end`; ValueError when that is not a range of days the job has."""
    partitions = definitions.resolve_job_def(JOB_NAME).partitions_def
    if partitions is None:
        raise ValueError(f"{JOB_NAME} is not partitioned")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise ValueError(f"days are YYYY-MM-DD: got {start!r} and {end!r}") from None
    if first > last:
        raise ValueError(f"empty range: {start} comes after {end}")
    known = partitions.get_partition_keys()
    if not known or start < known[0] or end > known[-1]:
        span = f"{known[0]} to {known[-1]}" if known else "no days yet"
        raise ValueError(f"{start} .. {end} is not inside the pipeline's days ({span})")
    return [key for key in known if start <= key <= end]


def days_per_run(definitions: dg.Definitions) -> int | None:
    """The most days one run of the job may hold: the smallest limit of its assets' backfill policies (None: all)."""
    limits = []
    for key in definitions.resolve_job_def(JOB_NAME).asset_layer.executable_asset_keys:
        policy = definitions.resolve_assets_def(key).backfill_policy
        limits.append(1 if policy is None else policy.max_partitions_per_run)  # no policy: one run per partition
    bounded = [limit for limit in limits if limit is not None]
    return min(bounded) if bounded else None


def batches(keys: Sequence[str], size: int | None) -> list[list[str]]:
    """`keys` cut into consecutive runs of at most `size` (all of them in one when size is None)."""
    if size is None:
        return [list(keys)] if keys else []
    return [list(keys[i : i + size]) for i in range(0, len(keys), max(1, size))]
