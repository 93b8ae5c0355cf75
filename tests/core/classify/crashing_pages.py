"""Pages that kill the worker process that reads them, as a crash in C code or the out-of-memory killer would, and the
Dask workers' task that obeys them (module-level, so the workers of tests/core/classify/test_dask_pool.py import it)."""

import os
import re
import signal
from pathlib import Path

from content_pipeline.classify.dask_pool import classify_on_worker
from content_pipeline.classify.models import Extraction, FetchedPage

CRASH_MARKER = b"<!-- kill the worker that reads this -->"
CRASH_ONCE = re.compile(rb"<!-- kill the first worker that reads this, then leave (.+?) -->")


def crash_if_marked(pages: list[FetchedPage]) -> None:
    """Kill this process at a marked page (at a page marked once, only when its flag file is not there yet)."""
    for page in pages:
        if CRASH_MARKER in page.body:
            os.kill(os.getpid(), signal.SIGKILL)
        once = CRASH_ONCE.search(page.body)
        if once and not Path(once[1].decode()).exists():
            Path(once[1].decode()).touch()  # the flag the retry finds: the page was not to blame
            os.kill(os.getpid(), signal.SIGKILL)


def crashing_dask_task(rules_text: str, pages: list[FetchedPage]) -> list[Extraction]:
    crash_if_marked(pages)
    return classify_on_worker(rules_text, pages)
