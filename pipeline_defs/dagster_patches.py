"""A fix for one Dagster 1.13 bug that this project runs into, applied when the code location loads.

A run whose step waits for a concurrency pool slot spins a whole core: `InstanceConcurrencyContext.
interval_to_next_pending_claim_check` returns `min(0, ...)`, which is never positive, so the in-process executor
never sleeps between its checks for a free slot (measured here: ~90% of a core for as long as the wait lasts,
taken from the run that holds the slot). The fix sleeps until the earliest time Dagster itself planned to check
again. It is applied only to the 1.13 releases, whose code was read and tested; a later release is left alone.
"""

import time

import dagster as dg
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

PATCHED_RELEASES = ("1.13.",)


def interval_to_next_pending_claim_check(self: InstanceConcurrencyContext) -> float:
    """Seconds until the next planned check of a pending claim (0 when a check is due or nothing is pending)."""
    if not self._pending_claims or not self._pending_timeouts:
        return 0.0
    return max(0.0, min(self._pending_timeouts.values()) - time.time())


def apply() -> bool:
    """Patch the running Dagster when it is a release with the bug; returns whether it did."""
    if not dg.__version__.startswith(PATCHED_RELEASES):
        return False
    InstanceConcurrencyContext.interval_to_next_pending_claim_check = interval_to_next_pending_claim_check  # type: ignore[method-assign]
    return True
