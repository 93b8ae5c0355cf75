"""A document that kills the worker process that reads it, as a crash in C code or the out-of-memory killer would, and
the Dask workers' task that obeys it (module-level, so the workers of test_dask_provider.py import it)."""

import os
import signal

from content_pipeline.categorize.dask_provider import Shared, categorize_on_worker
from content_pipeline.categorize.models import Categorization, Document

KILLER_ID = "kills-its-worker"


def crashing_categorize_task(shared: Shared, docs: list[Document]) -> list[Categorization]:
    if any(doc.record_id == KILLER_ID for doc in docs):
        os.kill(os.getpid(), signal.SIGKILL)
    return categorize_on_worker(shared, docs)
