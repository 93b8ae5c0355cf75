"""Which partitions a sensor should run: the days whose rows changed since the cursor it last saved (sheet, inbox)."""

import json
from dataclasses import dataclass

MAX_RUNS_PER_TICK = 10  # a sheet full of history is worked through a few days per tick, newest first


@dataclass(frozen=True)
class PlannedRun:
    day: str
    run_key: str  # the same rows never give a second run, even with the cursor lost


def load_cursor(cursor: str | None) -> dict[str, str]:
    """The digests of each day's rows at the last tick ({} for a first tick or an unreadable cursor)."""
    try:
        value = json.loads(cursor or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def plan_runs(
    digests: dict[str, str], cursor: str | None, allowed_days: set[str] | None = None, limit: int = MAX_RUNS_PER_TICK
) -> tuple[list[PlannedRun], str]:
    """Runs for the days whose digest is new or changed (newest first, at most `limit`), and the new cursor.

    Days outside `allowed_days` (no such partition) are left out; days not run this tick keep their old digest in
    the cursor, so a later tick still runs them.
    """
    seen = load_cursor(cursor)
    changed = sorted((d for d, digest in digests.items() if seen.get(d) != digest), reverse=True)
    if allowed_days is not None:
        changed = [d for d in changed if d in allowed_days]
    chosen = changed[:limit]
    kept = {d: seen[d] for d in digests if d in seen and d not in chosen}
    new_cursor = {**kept, **{d: digests[d] for d in chosen}}
    runs = [PlannedRun(day, f"sheet:{day}:{digests[day]}") for day in chosen]
    return runs, json.dumps(dict(sorted(new_cursor.items())), separators=(",", ":"))
