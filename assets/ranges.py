"""Range runs: one run may target several days; every stage processes each day on its own and records each day.

A backfill of N days runs as ceil(N / MAX_DAYS_PER_RUN) runs of the whole chain (every stage has the same policy, so
one run carries a batch of days through every stage). Inside a run, a stage reads the upstream partition of one
day, writes its own partition of that day and lets go of it before the next day: memory grows with a day, not with
the batch, and the stored partitions are the same as those of one run per day.

Each day gets its own materialization with its own metadata (`context.add_asset_metadata(..., partition_key=day)`),
including `content_version`, the hash of what the day stored (content_pipeline.warehouse.content_hash). Dagster 1.13
keeps one data version per step and copies it to every partition of a range (dagster-io/dagster#34013), so the
Dagster data version is the day's content version when a run holds one day, and the combined version of the batch's
days otherwise: an identical rerun of the same days keeps its versions either way.
"""

import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import dagster as dg
import polars as pl

from assets.checks import check_results
from content_pipeline.free_memory import release_free_memory
from content_pipeline.quality.checks import CheckOutcome
from content_pipeline.stages import Stage
from content_pipeline.warehouse.content_hash import combined_version, stage_content_version
from resources.warehouse import WarehouseResource

# Days per run of a backfill. bench/backfill.py on 2 cores, 30 days of the sample site (quiet machine): 3 runs of 10
# took 154 s, 1 run of 30 157 s, one run per day ~18 s a day (542 s for 30); peak RSS 485 vs 472 MiB. A run's own
# cost in process is ~1 s (a launched run also pays ~10-20 s to start its process), so 10 days per run keeps almost
# all of the gain while a failure, a step retry (categorize after a quota) or a cancelled run concerns 10 days, not
# 30, and a backfill shows progress every 10 days. Memory does not depend on it: one day at a time.
MAX_DAYS_PER_RUN = 10
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN)
CONTENT_VERSION_KEY = "content_version"
DAYS_IN_RUN_KEY = "days_in_run"
STAGE_WALL_KEY = "stage_wall_s"  # the stage's wall time for the day, reading and writing included
ROWS_PER_S_KEY = "rows_per_s"

# Backfill policies are beta in Dagster 1.13: the warning would be printed by every command that loads the assets.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


class Day(NamedTuple):
    """What a stage wrote for one day: its rows (or their slim copy, with `version` computed as they were stored)
    for checks and the content version, and the day's metadata."""

    data: pl.DataFrame
    metadata: dict[str, Any]
    version: str | None = None
    kept: bool = False  # the stored partition was kept as it was: nothing new for the catalog's views
    outcomes: tuple[CheckOutcome, ...] = ()  # checks the stage computed from what it wrote or saw besides `data`


def stage_of(context: dg.AssetExecutionContext) -> Stage:
    """The stage the running asset is (its key is the stage's name)."""
    return Stage(context.asset_key.to_user_string())


def materialize_days(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    one_day: Callable[[str], Day],
    checks: Callable[[pl.DataFrame], list[CheckOutcome]] | None = None,
) -> dg.MaterializeResult:
    """Run `one_day` for every day of the run in order and record one materialization per day.

    The partitions of every stage the running one reads (`Stage.reads`) must all exist before the first day starts.
    `one_day` writes its partition with `refresh=False`: the catalog is refreshed once, after the last day. `checks`
    gives the data-quality outcomes of a day's frame, and the day adds those it computed itself (`Day.outcomes`); a
    failed blocking one stops the stages below in this run.
    """
    asset = stage_of(context)
    days = list(context.partition_keys)
    for upstream in asset.reads:
        warehouse.require(upstream, days)
    versions: dict[str, str] = {}
    outcomes: dict[str, list[CheckOutcome]] = {}
    wrote = False
    for number, day in enumerate(days, start=1):
        started = time.monotonic()
        written = one_day(day)
        wall_s = time.monotonic() - started
        wrote = wrote or (asset.in_warehouse and not written.kept)
        versions[day] = written.version or stage_content_version(asset, written.data)
        rows = len(written.data)
        metadata = {
            **written.metadata,
            CONTENT_VERSION_KEY: versions[day],
            STAGE_WALL_KEY: dg.MetadataValue.float(round(wall_s, 3)),
            ROWS_PER_S_KEY: dg.MetadataValue.float(round(rows / wall_s, 1) if wall_s > 0 else 0.0),
        }
        outcomes[day] = [*written.outcomes, *(checks(written.data) if checks is not None else [])]
        del written  # the day's frame is released before the next day is read
        release_free_memory()  # and what the day used goes back to the system, not on to the next stage
        context.add_asset_metadata(metadata, partition_key=day)
        if len(days) > 1:
            context.log.info(f"{asset} {day}: {rows} rows ({number}/{len(days)} days)")
    if wrote:  # the views are globs: a kept partition is in them already
        warehouse.refresh_catalog_or_warn()
    return dg.MaterializeResult(
        metadata={DAYS_IN_RUN_KEY: len(days)},
        data_version=dg.DataVersion(combined_version(versions)),
        check_results=check_results(asset, outcomes),
    )
