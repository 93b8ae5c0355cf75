"""Runs whose process died are noticed, marked failed and their pool slots freed; a run waiting for a slot says why."""

import subprocess
import sys
from collections.abc import Iterator

import dagster as dg
import psutil
import pytest
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.test_utils import create_run_for_test

from content_pipeline.process_identity import ProcessIdentity
from pipeline_defs import dagster_patches
from pipeline_defs.run_guard import DIED_TAG, PoolWatch, free_slots_of_ended_runs, process_tags, reap_dead_runs

POOL = "outbound_http"


@pytest.fixture
def gone() -> ProcessIdentity:
    """The identity of a process that has ended (as a run killed with SIGKILL leaves behind)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    identity = ProcessIdentity(ProcessIdentity.current().host, child.pid, psutil.Process(child.pid).create_time())
    child.kill()
    child.wait()
    return identity


@pytest.fixture
def pooled() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        yield instance


def started_run(instance: dg.DagsterInstance, owner: ProcessIdentity, day: str = "2026-11-30") -> dg.DagsterRun:
    tags = {**process_tags(owner), "dagster/partition": day}
    return create_run_for_test(instance, "pipeline_job", status=dg.DagsterRunStatus.STARTED, tags=tags)


def holders(instance: dg.DagsterInstance) -> list[str]:
    return [slot.run_id for slot in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots]


def test_a_run_whose_process_is_gone_is_marked_failed_and_its_slot_freed(
    pooled: dg.DagsterInstance, gone: ProcessIdentity
) -> None:
    run = started_run(pooled, gone)
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "fetch").is_claimed
    [dead] = reap_dead_runs(pooled)
    assert dead.run_id == run.run_id and f"process {gone.pid}" in dead.describe()
    assert "(pipeline_job, 2026-11-30) died" in dead.describe() and "freed its pool slots" in dead.describe()
    after = pooled.get_run_by_id(run.run_id)
    assert after is not None and after.status == dg.DagsterRunStatus.FAILURE and DIED_TAG in after.tags
    assert holders(pooled) == []
    assert reap_dead_runs(pooled) == []  # once is enough


def test_a_live_run_a_run_of_another_machine_and_an_untagged_run_are_left_alone(pooled: dg.DagsterInstance) -> None:
    me = ProcessIdentity.current()
    live = started_run(pooled, me)
    elsewhere = started_run(pooled, ProcessIdentity("another-host", 1, 0.0))
    untagged = create_run_for_test(pooled, "pipeline_job", status=dg.DagsterRunStatus.STARTED)
    assert reap_dead_runs(pooled) == []
    for run in (live, elsewhere, untagged):
        seen = pooled.get_run_by_id(run.run_id)
        assert seen is not None and seen.status == dg.DagsterRunStatus.STARTED


def test_a_pid_now_used_by_another_process_counts_as_gone(pooled: dg.DagsterInstance) -> None:
    me = ProcessIdentity.current()
    reused = ProcessIdentity(me.host, me.pid, me.started_at - 3600)  # same pid, started an hour earlier
    run = started_run(pooled, reused)
    assert [dead.run_id for dead in reap_dead_runs(pooled)] == [run.run_id]


def test_a_run_waiting_for_a_slot_held_by_a_dead_run_frees_it_and_says_so(
    pooled: dg.DagsterInstance, gone: ProcessIdentity
) -> None:
    dead = started_run(pooled, gone, "2026-11-29")
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, dead.run_id, "fetch").is_claimed
    waiting = started_run(pooled, ProcessIdentity.current())
    assert not pooled.event_log_storage.claim_concurrency_slot(POOL, waiting.run_id, "fetch").is_claimed
    said: list[str] = []
    PoolWatch(pooled, [POOL], said.append).check(waiting.run_id)
    assert len(said) == 1 and said[0].startswith(f"run {dead.run_id[:8]} (pipeline_job, 2026-11-29) died")
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, waiting.run_id, "fetch").is_claimed


def test_a_run_waiting_for_a_slot_held_by_a_live_run_says_which_run_holds_it(pooled: dg.DagsterInstance) -> None:
    holder = started_run(pooled, ProcessIdentity.current(), "2026-11-29")
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, holder.run_id, "fetch").is_claimed
    waiting = started_run(pooled, ProcessIdentity.current())
    assert not pooled.event_log_storage.claim_concurrency_slot(POOL, waiting.run_id, "fetch").is_claimed
    said: list[str] = []
    watch = PoolWatch(pooled, [POOL], said.append)
    watch.check(waiting.run_id)
    watch.check(waiting.run_id)  # said once, not once a second
    [line] = said
    assert line.startswith(f"fetch waits for a slot in pool '{POOL}' (limit 1), held by run {holder.run_id[:8]}")
    assert "(pipeline_job, 2026-11-29, process" in line and f"concurrency set {POOL} 2`" in line
    assert holders(pooled) == [holder.run_id]


def test_a_slot_an_ended_run_still_holds_or_waits_for_is_freed(pooled: dg.DagsterInstance) -> None:
    ended = create_run_for_test(pooled, "pipeline_job", status=dg.DagsterRunStatus.CANCELED)
    live = started_run(pooled, ProcessIdentity.current())
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, ended.run_id, "fetch").is_claimed
    assert not pooled.event_log_storage.claim_concurrency_slot(POOL, live.run_id, "fetch").is_claimed
    assert free_slots_of_ended_runs(pooled) == [ended.run_id]
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, live.run_id, "fetch").is_claimed


def test_a_step_waiting_for_a_pool_slot_sleeps_until_its_next_check_instead_of_spinning(
    pooled: dg.DagsterInstance,
) -> None:
    assert dagster_patches.apply()
    holder = started_run(pooled, ProcessIdentity.current(), "2026-11-29")
    assert pooled.event_log_storage.claim_concurrency_slot(POOL, holder.run_id, "fetch").is_claimed
    waiting = started_run(pooled, ProcessIdentity.current())
    with InstanceConcurrencyContext(pooled, waiting) as context:
        assert not context.claim(POOL, "fetch")
        assert context.interval_to_next_pending_claim_check() > 0  # Dagster 1.13 itself says 0: a busy loop
