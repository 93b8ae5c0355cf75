"""Run the pipeline job through Dagster, in process, on the project's instance: one partition, or a range of days
in as few runs as the stages' backfill policy allows."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from dagster._core.events import DagsterEventType
from dagster._core.instance.config import DAGSTER_CONFIG_YAML_FILENAME
from dagster._core.instance.ref import InstanceRef

from content_pipeline.stages import Stage
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs import environment
from pipeline_defs.home import default_home
from pipeline_defs.jobs import STAGE_ASSETS
from pipeline_defs.run_guard import DIED_TAG, PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG, process_tags
from pipeline_defs.settings import PROJECT_ROOT, Settings

JOB_NAME = "pipeline_job"
BACKFILL_TAG = "content_pipeline/backfill"  # every run of one run_range call: "<from>..<to>"
RESUMED_FROM_TAG = "content_pipeline/resumed_from"  # the dead run whose finished stages a run kept
# each after every stage it reads; plain str, not Stage: an AssetKey's path is serialized, and serdes refuses enums
STAGES: list[str] = [stage.value for stage in Stage]
POOLS = sorted({asset.op.pool for asset in STAGE_ASSETS if asset.op.pool})  # the pools the job's steps wait on


def project_instance() -> dg.DagsterInstance:
    """The instance under DAGSTER_HOME; without it, the project folder's dagster.yaml (its relative paths taken from
    the project folder, wherever the command runs), else `<home>/dagster`. The process's environment and working
    folder are left as they are."""
    home = environment.dagster_home()
    if home is None and (PROJECT_ROOT / DAGSTER_CONFIG_YAML_FILENAME).is_file():
        config = PROJECT_ROOT / DAGSTER_CONFIG_YAML_FILENAME
        overrides = anchored(yaml.safe_load(config.read_text(encoding="utf-8")) or {}, PROJECT_ROOT)
        return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(PROJECT_ROOT), overrides=overrides))
    home = home or default_home() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.from_config(str(home))


def anchored(config: dict[str, Any], folder: Path) -> dict[str, Any]:
    """dagster.yaml's sections that hold a relative `base_dir`, with that folder made absolute under `folder`."""

    def anchor(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: str(folder / item)
                if key == "base_dir" and isinstance(item, str) and not Path(item).is_absolute()
                else anchor(item)
                for key, item in value.items()
            }
        return value

    anchored_sections = {section: anchor(value) for section, value in config.items()}
    return {section: value for section, value in anchored_sections.items() if value != config[section]}


def build_definitions(settings: Settings) -> dg.Definitions:
    """The Definitions built from `settings`. Imported on use: importing pipeline_defs.definitions also builds the
    code location's own Definitions from the environment, which `content-pipeline config` must not need."""
    from pipeline_defs.definitions import build_definitions as build

    return build(settings)


def run_partition(
    settings: Settings,
    day: str,
    instance: dg.DagsterInstance,
    log_level: str = "DEBUG",
    resume: "Resume | None" = None,
    on_run: Callable[[str], None] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize every stage for `day` (YYYY-MM-DD), from ingest to the files and the Sheet; with `resume`, only
    the stages the dead run did not finish. `on_run` is told the run id before the run starts."""
    job = build_definitions(settings).resolve_job_def(JOB_NAME)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    run_id = new_run_id(on_run)
    tags = process_tags()
    selection = None
    if resume is not None:
        tags[RESUMED_FROM_TAG] = resume.dead_run_id
        selection = [dg.AssetKey(stage) for stage in resume.stages]
    return job.execute_in_process(
        run_config=run_config,
        partition_key=day,
        instance=instance,
        raise_on_error=False,
        asset_selection=selection,
        run_id=run_id,
        tags=tags,
    )


def new_run_id(on_run: Callable[[str], None] | None) -> str:
    run_id = str(uuid.uuid4())
    if on_run is not None:
        on_run(run_id)
    return run_id


@dataclass(frozen=True)
class Resume:
    """A day whose last run died: the stages still to run, and the run whose finished stages are kept."""

    dead_run_id: str
    stages: list[str]

    def describe(self, day: str) -> str:
        kept = STAGES[: STAGES.index(self.stages[0])]
        return (
            f"going on with {day} from {self.stages[0]}, where run {self.dead_run_id[:8]} died; "
            f"{', '.join(kept)} {'is' if len(kept) == 1 else 'are'} kept (--from-start runs every stage again)"
        )


def resume_point(instance: dg.DagsterInstance, settings: Settings, day: str) -> Resume | None:
    """How to finish `day` when its latest run of the job died midway (its process was killed); None otherwise.

    The stages that run stored for `day` (and those a run it resumed had stored) are kept when their partitions
    are still in the warehouse (files and Sheet rows it wrote count as stored); the rest run again, from the first
    one not stored.
    """
    runs = instance.get_runs(dg.RunsFilter(job_name=JOB_NAME, tags={PARTITION_TAG: day}), limit=1)
    if not runs or DIED_TAG not in runs[0].tags:
        return None
    dead = runs[0]
    asked = {key.to_user_string() for key in dead.asset_selection} if dead.asset_selection else set(STAGES)
    done = (set(STAGES) - asked) | stored_by(instance, dead.run_id, day)
    remaining = [stage for stage in STAGES if stage not in done]
    first = STAGES.index(remaining[0]) if remaining else len(STAGES)
    store = PartitionStore(settings.warehouse_root)
    stored = [stage for stage in STAGES[:first] if not Stage(stage).in_warehouse or store.exists(stage, day)]
    if not remaining or not stored or len(stored) < first:
        return None  # nothing left, nothing kept, or a kept partition is gone: run every stage
    return Resume(dead.run_id, STAGES[first:])


def stored_by(instance: dg.DagsterInstance, run_id: str, day: str) -> set[str]:
    """The stages a run materialized for `day`."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    stored = set()
    for record in records:
        materialization = record.asset_materialization
        if materialization is not None and materialization.partition == day:
            stored.add(materialization.asset_key.to_user_string())
    return stored


def run_range(
    settings: Settings,
    start: str,
    end: str,
    instance: dg.DagsterInstance,
    log_level: str = "WARNING",
    max_days_per_run: int | None = None,
    on_run: Callable[[str], None] | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Materialize the whole chain for every day from `start` to `end` (inclusive), one run per batch of days.

    The batches are those a Dagster backfill of the job's assets launches: at most the smallest
    `max_partitions_per_run` of their backfill policies (one run when all are single-run). `max_days_per_run`
    overrides that (a benchmark compares batch sizes with it). A failed run does not stop the later batches: the
    days are independent. Returns one result per run, in order; `on_run` is told each run's id before it starts.
    """
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(JOB_NAME)
    size = max_days_per_run or days_per_run(definitions)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    results = []
    for batch in batches(range_keys(definitions, start, end), size):
        tags = {BACKFILL_TAG: f"{start}..{end}", **process_tags()}
        run_id = new_run_id(on_run)
        if len(batch) == 1:
            result = job.execute_in_process(
                run_config=run_config,
                partition_key=batch[0],
                instance=instance,
                raise_on_error=False,
                tags=tags,
                run_id=run_id,
            )
        else:
            tags |= {RANGE_START_TAG: batch[0], RANGE_END_TAG: batch[-1]}
            result = job.execute_in_process(
                run_config=run_config, instance=instance, raise_on_error=False, tags=tags, run_id=run_id
            )
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
    return [day for day in known if start <= day <= end]


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
