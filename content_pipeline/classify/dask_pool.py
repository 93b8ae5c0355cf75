"""Classify's pages extracted by the workers of a Dask distributed cluster: a day's chunks fan out over machines.

    with DaskClassifyPool("tcp://scheduler:8786", rules_path) as pool:
        extractions = pool.classify(pages)  # input order, one Extraction per page, as ClassifyPool gives

Pages go to the scheduler in small tasks (as the local pool's: a few pages each), and it places them on whatever
workers it has, one task per worker thread. A worker started with `dask worker tcp://scheduler:8786 --nthreads 1`
in this project's environment needs nothing else: the dispatch rules travel as text with the tasks (a worker on
another machine has no copy of the rules file) and each worker process builds its dispatcher once per rules text.

A worker that dies mid-task (killed, out of memory, a crash in C code) costs that task only: Dask runs it again on
another worker. A task that has taken down `distributed.scheduler.allowed-failures` workers (3 by default) fails
with KilledWorker; it is then split into single pages, and a page that kills workers on its own gets an error
Extraction, as in the local pool. No page is lost and none is classified twice into the results.
"""

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from content_pipeline.classify.dispatcher import DEFAULT_RULES_PATH, Dispatcher, worker_failed
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.pool import TASK_PAGES, split_tasks
from content_pipeline.free_memory import trim_c_heap

if TYPE_CHECKING:  # distributed is imported only when a scheduler is configured
    from distributed import Client, Future

CONNECT_TIMEOUT_S = 30.0  # how long the first connection to the scheduler may take before the stage fails
WORKERS_TIMEOUT_S = 120.0  # how long a scheduler without workers is waited for (tasks would wait there forever)
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
        self.connect_timeout_s = connect_timeout_s
        self.workers_timeout_s = workers_timeout_s
        self.isolated = 0  # tasks that killed workers until Dask gave up, split into single pages
        self._client: Client | None = None
        self._closed = False

    def __enter__(self) -> "DaskClassifyPool":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running); the pool classifies no more batches."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def classify(self, pages: Sequence[FetchedPage]) -> list[Extraction]:
        """Kind and extracted facts of every page, in input order."""
        if self._closed:
            raise RuntimeError("this DaskClassifyPool is closed")
        if not pages:
            return []
        tasks = split_tasks(len(pages), [len(p.body) for p in pages], self.task_pages)
        results: list[Extraction | None] = [None] * len(pages)
        killed = self._run(pages, tasks, results)
        if killed:
            self.isolated += len(killed)
            singles = [range(i, i + 1) for task in killed for i in task]
            for task in self._run(pages, singles, results):
                error = RuntimeError("the Dask workers died while classifying this page")
                results[task[0]] = self._failed(pages[task[0]], error)
        missing = RuntimeError("no result came back from the Dask worker")
        return [r if r is not None else self._failed(pages[i], missing) for i, r in enumerate(results)]

    def _run(self, pages: Sequence[FetchedPage], tasks: list[range], results: list[Extraction | None]) -> list[range]:
        """Run tasks on the cluster, fill `results`; the tasks that kept killing workers (to split)."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        client = self._connect()
        futures: list[Future] = [
            client.submit(self.task, self.rules_text, [pages[i] for i in task], pure=False) for task in tasks
        ]
        killed: list[range] = []
        for task, future in zip(tasks, futures, strict=True):
            try:
                extractions = future.result()
                if len(extractions) != len(task):
                    raise RuntimeError(f"a worker returned {len(extractions)} results for {len(task)} pages")
            except KilledWorker:
                killed.append(task)
                continue
            except (OSError, TimeoutError, FutureCancelledError) as error:  # the cluster failed, not the pages
                raise OSError(f"lost the Dask scheduler at {self.address}: {error!r}") from error
            except Exception as error:  # e.g. a result that cannot be serialised: this task's pages fail, no more
                extractions = [self._failed(pages[i], error) for i in task]
            finally:
                future.release()
            for i, extraction in zip(task, extractions, strict=True):
                results[i] = extraction
        return killed

    def _connect(self) -> "Client":
        if self._client is None:
            from distributed import Client

            try:
                client = Client(self.address, timeout=self.connect_timeout_s, set_as_default=False)
            except (OSError, TimeoutError) as error:
                raise OSError(f"could not reach the Dask scheduler at {self.address}: {error}") from error
            try:
                client.wait_for_workers(1, timeout=self.workers_timeout_s)
            except TimeoutError as error:
                client.close()
                raise OSError(
                    f"the Dask scheduler at {self.address} has had no worker for {self.workers_timeout_s:.0f} s: "
                    "start workers (`dask worker <address>`) or unset CONTENT_PIPELINE_DASK_SCHEDULER"
                ) from error
            self._client = client
        return self._client

    def _failed(self, page: FetchedPage, error: BaseException) -> Extraction:
        return worker_failed(self.dispatcher, page, error)
