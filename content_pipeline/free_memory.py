"""Hand the memory a finished day freed back to the operating system, so the next stage starts from a low mark.

A stage's peak (bodies in flight, a chunk being encoded) is freed when the day ends, but the allocators keep those
pages for reuse: glibc's malloc (Python's objects larger than 512 bytes, such as page bodies) and Arrow's mimalloc
pool. Without this, the main process carries fetch's peak into classify, where the extraction workers add theirs,
and a classify worker's heap creeps up with every page it parses. Within a day too: reading 250-row chunks of
fetched pages (14 MB of bodies each) one after the other left +211 MB resident after 12 of them, mostly in Arrow's
pool (+40-50 with a release after each read), so a stage hands memory back as it goes, at most every
`RELEASE_INTERVAL_S` (~1-3 ms a time).
"""

import ctypes
import ctypes.util
import functools
import threading
import time

RELEASE_INTERVAL_S = 0.1


@functools.cache
def glibc_malloc_trim() -> "ctypes._NamedFuncPointer | None":
    """glibc's malloc_trim, or None where the C library is another one (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def trim_c_heap() -> None:
    """Return the C heap's free pages to the system (~0.5 ms for a classify worker's heap); nothing elsewhere."""
    trim = glibc_malloc_trim()
    if trim is not None:
        trim(0)


def release_free_memory() -> None:
    """Return the free pages of Arrow's pool and of the C heap to the system (no effect on live objects)."""
    import pyarrow as pa  # here, not at the top: classify workers trim their heap without loading Arrow

    pa.default_memory_pool().release_unused()
    trim_c_heap()


class PeriodicRelease:
    """`release_free_memory` when called at least `interval_s` after the last release (from any thread).

    The memory is the process's, so one clock serves every caller: `release_now_and_then` below."""

    def __init__(self, interval_s: float = RELEASE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.last < self.interval_s:
                return
            self.last = now
        release_free_memory()


release_now_and_then = PeriodicRelease()  # what stages call as they go: readers, stored chunks, commits
