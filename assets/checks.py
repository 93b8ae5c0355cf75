"""Asset checks of every stage, declared on the asset and evaluated on the frame it just wrote.

A stage declares `check_specs(stage)` and returns `check_results(...)` in its MaterializeResult. A failed blocking
check fails the stage's step after its partitions are recorded, so the stages downstream do not run in that run;
`needs_rerun` is a warning that lets the run go on. A run over a range of days (a backfill) evaluates each check
once, over all its days: failed if any day failed, with every day's outcome in the metadata.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg

from content_pipeline.quality.checks import CHECK_DESCRIPTIONS, CheckOutcome, check_names, is_blocking

MAX_DAYS_DESCRIBED = 5  # a backfill's description names at most this many failed days; the metadata has them all


def check_specs(stage: str) -> list[dg.AssetCheckSpec]:
    """The checks the `stage` asset declares (asset key = stage name); all blocking but `needs_rerun`."""
    return [
        dg.AssetCheckSpec(name, asset=str(stage), blocking=is_blocking(name), description=CHECK_DESCRIPTIONS[name])
        for name in check_names(stage)
    ]


def _severity(name: str) -> dg.AssetCheckSeverity:
    return dg.AssetCheckSeverity.ERROR if is_blocking(name) else dg.AssetCheckSeverity.WARN


def _result(name: str, by_day: dict[str, CheckOutcome]) -> dg.AssetCheckResult:
    failed = [day for day, outcome in by_day.items() if not outcome.passed]
    metadata: dict[str, Any] = {"partitions": len(by_day), "failed_partitions": failed}
    if len(by_day) == 1:
        ((day, outcome),) = by_day.items()
        metadata.update(outcome.metadata)
        description = f"{day}: {outcome.description}"
    else:
        metadata["by_day"] = {
            day: {"passed": o.passed, "description": o.description, **o.metadata} for day, o in by_day.items()
        }
        described = [f"{day}: {by_day[day].description}" for day in failed[:MAX_DAYS_DESCRIBED]]
        if len(failed) > MAX_DAYS_DESCRIBED:
            described.append(f"and {len(failed) - MAX_DAYS_DESCRIBED} more day(s)")
        days = f"{min(by_day)} to {max(by_day)}" if by_day else "no day"
        if failed:
            description = f"{len(failed)} of {len(by_day)} days failed ({days}). " + "; ".join(described)
        else:
            description = f"all {len(by_day)} days passed ({days})"
    return dg.AssetCheckResult(
        check_name=name, passed=not failed, severity=_severity(name), description=description, metadata=metadata
    )


def check_results(stage: str, outcomes_by_day: Mapping[str, list[CheckOutcome]]) -> list[dg.AssetCheckResult]:
    """One result per check of `stage`, over the days of the run: failed if any day failed; metadata per day."""
    results = []
    for name in check_names(stage):
        by_day = {
            day: outcome for day in sorted(outcomes_by_day) for outcome in outcomes_by_day[day] if outcome.name == name
        }
        if outcomes_by_day and not by_day:
            raise ValueError(f"no outcome of check {name!r} for {stage}: pass the outcomes of stage_checks({stage!r})")
        results.append(_result(name, by_day))
    return results
