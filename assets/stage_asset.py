"""The one way a stage becomes an asset: its name, dependencies and checks come from `Stage`, written nowhere else."""

from collections.abc import Callable, Iterable
from typing import Any

import dagster as dg

from assets.checks import check_specs
from assets.partitions import daily_partitions
from assets.ranges import BACKFILL_POLICY
from content_pipeline.stages import Stage

STAGE_GROUP = "content"


def stage_asset(
    stage: Stage,
    *,
    kinds: Iterable[str],
    retry_policy: dg.RetryPolicy | None = None,
    pool: str | None = None,
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """`@dg.asset` for `stage`: daily partitions, the backfill policy, the stages it reads as its dependencies, its
    checks."""
    return dg.asset(
        name=stage.value,
        partitions_def=daily_partitions,
        backfill_policy=BACKFILL_POLICY,
        group_name=STAGE_GROUP,
        deps=[read.value for read in stage.reads] or None,
        kinds=set(kinds),
        retry_policy=retry_policy,
        pool=pool,
        check_specs=check_specs(stage),
    )
