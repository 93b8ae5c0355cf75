"""Memory a finished day freed goes back to the operating system (glibc's heap keeps it otherwise)."""

import os

import pytest

from content_pipeline.free_memory import glibc_malloc_trim, release_free_memory


def resident_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


ON_GLIBC_LINUX = glibc_malloc_trim() is not None and os.path.exists("/proc/self/status")


@pytest.mark.skipif(not ON_GLIBC_LINUX, reason="glibc on Linux only")
def test_the_bodies_of_a_finished_day_leave_the_process_resident_memory() -> None:
    start = resident_mib()
    bodies = [os.urandom(16) * (55_000 // 16) for _ in range(4_000)]  # 220 MB of page-sized bodies, as fetch holds
    survivors = bodies[::40]  # a few stay alive all over the heap, so it cannot simply shrink from its top
    del bodies
    release_free_memory()
    grown = resident_mib() - start
    assert grown < 60, f"{grown:.0f} MiB still resident after 220 MB were freed"
    assert len(survivors) == 100
