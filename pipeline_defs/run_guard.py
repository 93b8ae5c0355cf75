"""Runs whose process died, and runs waiting for a pool slot: noticed, said in one line, and dealt with.

Every run the command line starts carries the identity of its process in tags. A run still marked as running whose
process is gone (killed with SIGKILL, the machine rebooted) is marked failed and the pool slots it held are freed,
so no later run waits for it forever. Runs started otherwise (the UI, the daemon) carry no such tags: the daemon's
run monitoring looks after them, and a run waiting for their slots says which run it waits for.
"""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
from dagster._core.events import DagsterEventType

from content_pipeline.process_identity import ProcessIdentity, is_alive

HOST_TAG = "content_pipeline/host"
PID_TAG = "content_pipeline/pid"
STARTED_TAG = "content_pipeline/process_started"
DIED_TAG = "content_pipeline/died"  # on a run marked failed because its process was gone: the stage it died in
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
ANNOUNCE_EVERY_S = 60.0  # how often a run that still waits for a pool slot says so again
PARTITION_TAG = "dagster/partition"
# The run tags that make a run target a partition key range (Dagster's own backfills set the same ones).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def process_tags(identity: ProcessIdentity | None = None) -> dict[str, str]:
    """The tags that tie a run to the process that executes it (this one by default)."""
    identity = identity or ProcessIdentity.current()
    return {HOST_TAG: identity.host, PID_TAG: str(identity.pid), STARTED_TAG: f"{identity.started_at:.3f}"}


def run_owner(run: dg.DagsterRun) -> ProcessIdentity | None:
    """The process a run was started in, when the command line started it."""
    try:
        return ProcessIdentity(run.tags[HOST_TAG], int(run.tags[PID_TAG]), float(run.tags[STARTED_TAG]))
    except (KeyError, ValueError):
        return None


def days_of(run: dg.DagsterRun) -> str:
    """The day or range of days a run works on, for a message."""
    if PARTITION_TAG in run.tags:
        return run.tags[PARTITION_TAG]
    if RANGE_START_TAG in run.tags:
        return f"{run.tags[RANGE_START_TAG]}..{run.tags.get(RANGE_END_TAG, '?')}"
    return "no partition"


def last_step(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The step a run started last (where a dead run died)."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_START, limit=1, ascending=False)
    return next((record.event_log_entry.step_key for record in records.records), None)


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job: str
    days: str
    owner: ProcessIdentity
    died_in: str | None  # the step it was running

    def describe(self) -> str:
        during = f" during {self.died_in}" if self.died_in else ""
        return (
            f"run {self.run_id[:8]} ({self.job}, {self.days}) died{during}: its {self.owner.describe()} is gone; "
            "marked it failed and freed its pool slots"
        )


def is_dead(run: dg.DagsterRun) -> bool:
    owner = run_owner(run)
    return run.status in IN_PROGRESS and owner is not None and is_alive(owner) is False


def reap(instance: dg.DagsterInstance, run: dg.DagsterRun) -> DeadRun:
    """Mark a dead run failed and free every pool slot it held or waited for."""
    owner = run_owner(run)
    assert owner is not None
    dead = DeadRun(run.run_id, run.job_name, days_of(run), owner, last_step(instance, run.run_id))
    instance.add_run_tags(run.run_id, {DIED_TAG: dead.died_in or "start"})
    instance.report_run_failed(run, f"The run's {owner.describe()} is gone (killed or crashed): marked failed.")
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return dead


def reap_dead_runs(instance: dg.DagsterInstance, run_ids: Iterable[str] | None = None) -> list[DeadRun]:
    """Every run in progress (or those of `run_ids`) whose process is gone, reaped."""
    if run_ids is None:
        runs = instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS))
    else:
        runs = [run for run_id in dict.fromkeys(run_ids) if (run := instance.get_run_by_id(run_id)) is not None]
    return [reap(instance, run) for run in runs if is_dead(run)]


def free_slots_of_ended_runs(instance: dg.DagsterInstance, run_ids: Iterable[str] | None = None) -> list[str]:
    """Free the pool slots that runs which have ended still hold or wait for (a run stopped by a signal may leave
    one behind); returns their run ids. By default, every run the pools know."""
    storage = instance.event_log_storage
    freed = []
    for run_id in sorted(storage.get_concurrency_run_ids() if run_ids is None else set(run_ids)):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            freed.append(run_id)
    return freed


class PoolWatch:
    """Looks at the pools a run's steps use: reaps dead holders of a slot it waits for, and says what it waits for."""

    def __init__(self, instance: dg.DagsterInstance, pools: Sequence[str], say: Callable[[str], None]) -> None:
        self.instance, self.pools, self.say = instance, list(pools), say
        self.announced_at: dict[str, float] = {}  # pool -> when the wait for it was last announced

    def check(self, run_id: str) -> None:
        storage = self.instance.event_log_storage
        for pool in self.pools:
            info = storage.get_concurrency_info(pool)
            steps = [p.step_key for p in info.pending_steps if p.run_id == run_id and p.assigned_timestamp is None]
            if not steps:
                self.announced_at.pop(pool, None)
                continue
            holders = sorted({slot.run_id for slot in info.claimed_slots if slot.run_id != run_id})
            reaped = reap_dead_runs(self.instance, holders)
            for dead in reaped:
                self.say(dead.describe())
            if reaped or free_slots_of_ended_runs(self.instance, holders):
                continue  # the slot is free now: the run takes it at its next look
            if time.monotonic() - self.announced_at.get(pool, -ANNOUNCE_EVERY_S) >= ANNOUNCE_EVERY_S:
                self.announced_at[pool] = time.monotonic()
                self.say(self.waiting_message(pool, info.slot_count, steps, holders))

    def waiting_message(self, pool: str, limit: int, steps: Sequence[str], holders: Sequence[str]) -> str:
        waits = f"{', '.join(steps)} waits for a slot in pool '{pool}' (limit {limit})"
        if limit == 0:
            return (
                f"{waits}: no step of the pool runs until it is raised (`dagster instance concurrency set {pool} 1`)."
            )
        held = "; ".join(self.describe_holder(run_id) for run_id in holders) or "by runs queued before this one"
        return (
            f"{waits}, held {held}. It goes on when the slot is free; to run side by side: "
            f"`dagster instance concurrency set {pool} {limit + 1}`."
        )

    def describe_holder(self, run_id: str) -> str:
        run = self.instance.get_run_by_id(run_id)
        if run is None:
            return f"by run {run_id[:8]}"
        owner = run_owner(run)
        started = self.instance.get_run_record_by_id(run_id)
        since = ""
        if started is not None and started.start_time:
            since = f", started {datetime.fromtimestamp(started.start_time, UTC):%Y-%m-%d %H:%M} UTC"
        who = (
            owner.describe()
            if owner is not None
            else "not started by content-pipeline: stop it in the UI if it is stuck"
        )
        return f"by run {run_id[:8]} ({run.job_name}, {days_of(run)}, {who}{since})"
