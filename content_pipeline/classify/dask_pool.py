"""Classify's pages extracted by the workers of a Dask distributed cluster: a day's chunks fan out over machines.

    with DaskClassifyPool("tcp://scheduler:8786", rules_path) as pool:
        extractions = pool.classify(pages)  # input order, one Extraction per page, as ClassifyPool gives

Pages go to the scheduler in small tasks (as the local pool's: a few pages each), and it places them on whatever
workers it has, one task per worker thread. A worker started with `dask worker tcp://scheduler:8786 --nthreads 1`
in this project's environment needs nothing else: the dispatch rules travel as text with the tasks (a worker on
another machine has no copy of the rules file) and each worker process builds its dispatcher once per rules text.

A worker that dies mid-task costs that task only, and a page that keeps killing workers gets an error Extraction,
as in the local pool (content_pipeline/dask_cluster.py). No page is lost and none is classified twice into the
results.
"""

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from content_pipeline.classify.dispatcher import DEFAULT_RULES_PATH, Dispatcher, worker_failed
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.pool import TASK_PAGES, split_tasks
from content_pipeline.dask_cluster import CONNECT_TIMEOUT_S, WORKERS_TIMEOUT_S, DaskCluster
from content_pipeline.free_memory import trim_c_heap

_DISPATCHERS: dict[str, Dispatcher] = {}  # on a worker: the dispatcher of each rules text it has seen


def dispatcher_for(rules_text: str) -> Dispatcher:
    """This worker process's dispatcher for a rules text (built once per text)."""
    key = hashlib.sha256(rules_text.encode()).hexdigest()
    if key not in _DISPATCHERS:
        _DISPATCHERS[key] = Dispatcher.from_rules_text(rules_text)
    return _DISPATCHERS[key]


def classify_on_worker(rules_text: str, pages: list[FetchedPage]) -> list[Extraction]:
    """The task a Dask worker runs: one Extraction per page, in order."""
    dispatcher = dispatcher_for(rules_text)
    extracted = [dispatcher.classify(page) for page in pages]
    trim_c_heap()  # the parse trees just freed go back to the system, as in the local pool's workers
    return extracted


Task = Callable[[str, list[FetchedPage]], list[Extraction]]


class DaskClassifyPool:
    """Classify's pages on a Dask cluster; `classify(pages)` never raises for a page (see the module's docstring).

    A bad rules file raises ValueError here, before any work; a scheduler that cannot be reached, has no worker or
    is lost mid-batch raises OSError naming its address: the stage fails (and its retry policy runs it again).
    `task` is what the workers run (importable by them: a module-level function).
    """

    def __init__(
        self,
        address: str,
        rules_path: Path | None = None,
        *,
        task_pages: int = TASK_PAGES,
        task: Task = classify_on_worker,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        workers_timeout_s: float = WORKERS_TIMEOUT_S,
    ) -> None:
        self.address = address
        path = Path(rules_path) if rules_path else DEFAULT_RULES_PATH
        self.rules_text = path.read_text(encoding="utf-8")
        self.dispatcher = Dispatcher.from_rules_text(self.rules_text)  # a bad rules file fails here
        self.task_pages = max(1, task_pages)
        self.task = task
        self._cluster: DaskCluster[str, FetchedPage, Extraction] = DaskCluster(
            address, connect_timeout_s=connect_timeout_s, workers_timeout_s=workers_timeout_s
        )
        self._closed = False

    @property
    def isolated(self) -> int:
        """Tasks that killed workers until Dask gave up, split into single pages."""
        return self._cluster.isolated

    def __enter__(self) -> "DaskClassifyPool":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running); the pool classifies no more batches."""
        self._closed = True
        self._cluster.close()

    def classify(self, pages: Sequence[FetchedPage]) -> list[Extraction]:
        """Kind and extracted facts of every page, in input order."""
        if self._closed:
            raise RuntimeError("this DaskClassifyPool is closed")
        if not pages:
            return []
        tasks = split_tasks(len(pages), [len(p.body) for p in pages], self.task_pages)
        return self._cluster.map(self.task, self.rules_text, pages, tasks, self._failed, doing="classifying this page")

    def _failed(self, page: FetchedPage, error: BaseException) -> Extraction:
        return worker_failed(self.dispatcher, page, error)
