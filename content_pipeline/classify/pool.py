"""Worker processes that live for a whole classify run: batch after batch (a stage's chunks) goes through them.

    with classify_pool(rules_path, workers) as pool:
        for chunk in chunks:
            extractions = pool.classify(pages_of(chunk))  # input order, one Extraction per page

Pages travel to the workers in small tasks (a few pages each), so a worker holds a task, never the day, and the
last task of a batch leaves a core idle for a few pages only. A worker that dies (a crash in a C library, the
out-of-memory killer) costs no batch: the pool restarts, the tasks that were running run again one at a time, and
only the page that kills a worker on its own gets an error Extraction.

Workers are replaced by fresh ones, between two batches, once they have classified `RECYCLE_PAGES` pages: a worker's
resident memory creeps up by ~1 MiB every 3,000 pages however the heap is trimmed (caches of the extraction
libraries, fragmentation around long-lived objects: Python's own block count levels off after ~10,000 pages, the
resident size does not), so without this a 100,000-page day would end with bigger workers than a 10,000-page one.
A restart costs 1-3 s of the two cores, under 2% of the ~2 minutes the pages between two restarts take.
(`ProcessPoolExecutor(max_tasks_per_child=...)` would do it per task, but deadlocks on Python 3.11: cpython#115634.)
"""

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from content_pipeline.classify.dispatcher import Dispatcher, worker_failed
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.warm_workers import warm_up
from content_pipeline.free_memory import trim_c_heap

# Batches smaller than this are classified in this process while the pool has not started: starting it (the workers
# import the processors and classify a page once) costs 1-3 s, about what 2 cores save on 64 pages at 25 ms each.
INLINE_BELOW = 64
TASK_PAGES = 8  # pages a task carries: at ~20 ms a page, a batch's last task idles a core for ~0.1 s at most
TASK_BYTES = 8 * 1024 * 1024  # ...and bodies it carries: a task of huge pages is cut short
# Workers are started afresh (not forked from this process, or from a fork server, which would be one more process
# holding the processors and py3langid's ~75 MB model): each worker holds only what classifying needs, ~150 MB.
POOL_START_METHOD = "spawn"
RECYCLE_PAGES = 20_000  # pages the workers classify before fresh ones take over (between batches)

_WORKER: dict[str, Dispatcher] = {}  # the dispatcher a worker built once at start-up


def _init_worker(rules_path: Path | None) -> None:
    _WORKER["dispatcher"] = dispatcher = Dispatcher.from_rules_file(rules_path)
    warm_up(dispatcher)  # the lazy set-up of the first page is paid here, while the pool starts
    trim_c_heap()  # finding glibc is paid here too


def _classify_task(pages: list[FetchedPage]) -> list[Extraction]:
    dispatcher = _WORKER.get("dispatcher") or Dispatcher.from_rules_file(None)
    extracted = [dispatcher.classify(page) for page in pages]
    trim_c_heap()  # the parse trees just freed go back to the system: a worker stays the same size all day
    return extracted


def split_tasks(
    count: int, sizes: Sequence[int], max_pages: int = TASK_PAGES, max_bytes: int = TASK_BYTES
) -> list[range]:
    """Consecutive index ranges of at most `max_pages` pages and (unless one page is larger) `max_bytes` bytes."""
    tasks: list[range] = []
    start = 0
    while start < count:
        end, total = start + 1, sizes[start]
        while end < count and end - start < max_pages and total + sizes[end] <= max_bytes:
            total += sizes[end]
            end += 1
        tasks.append(range(start, end))
        start = end
    return tasks


class ClassifyPool:
    """A process pool for classify that lives until `close()` (or the end of its `with` block).

    `classify(pages)` returns one Extraction per page in input order and never raises for a page: a failure is an
    Extraction with status error and a reason. With `workers <= 1`, or while no batch of at least `inline_below`
    pages has started the pool, pages are classified in this process. A bad rules file raises ValueError here,
    before any work. Workers import the processor registry afresh: a processor must be registered in
    `content_pipeline.classify.processors` (at import time) to be used in the pool.
    """

    def __init__(
        self,
        rules_path: Path | None = None,
        workers: int = 1,
        *,
        inline_below: int = INLINE_BELOW,
        task_pages: int = TASK_PAGES,
        recycle_pages: int = RECYCLE_PAGES,
    ) -> None:
        self.rules_path = Path(rules_path) if rules_path else None
        self.dispatcher = Dispatcher.from_rules_file(self.rules_path)  # a bad rules file fails here
        self.workers = max(1, workers)
        self.inline_below = inline_below
        self.task_pages = max(1, task_pages)
        self.recycle_pages = max(1, recycle_pages)
        self.restarts = 0  # times a dead worker made the pool start again
        self.recycled = 0  # times fresh workers replaced workers that had classified `recycle_pages` pages
        self._pages_in_workers = 0  # pages the running workers have classified
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def __enter__(self) -> "ClassifyPool":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def started(self) -> bool:
        """True while worker processes are running."""
        return self._executor is not None

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (to watch their memory); empty when none run."""
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        """Stop the workers; the pool classifies no more batches."""
        self._closed = True
        self._stop()

    def classify(self, pages: Sequence[FetchedPage]) -> list[Extraction]:
        """Kind and extracted facts of every page, in input order."""
        if self._closed:
            raise RuntimeError("this ClassifyPool is closed")
        if not pages:
            return []
        if self.workers <= 1 or (self._executor is None and len(pages) < max(self.inline_below, 2)):
            return [self.dispatcher.classify(page) for page in pages]
        tasks = split_tasks(len(pages), [len(p.body) for p in pages], self.task_pages)
        results: list[Extraction | None] = [None] * len(pages)
        broken = self._run([[pages[i] for i in task] for task in tasks], tasks, results)
        if broken:
            self._isolate(pages, broken, results)
        self._recycle_after(len(pages))
        missing = RuntimeError("no result came back from the worker")
        return [r if r is not None else self._failed(pages[i], missing) for i, r in enumerate(results)]

    def _run(
        self, batches: list[list[FetchedPage]], tasks: list[range], results: list[Extraction | None]
    ) -> list[range]:
        """Run tasks in parallel, fill `results`; the tasks a dead worker took down with it (to run again)."""
        executor = self._start()
        futures: list[Future[list[Extraction]]] = []
        with suppress(BrokenProcessPool):  # the pool broke while tasks were still being handed out
            for batch in batches:
                futures.append(executor.submit(_classify_task, batch))
        broken: list[range] = []
        for index, task in enumerate(tasks):
            if index >= len(futures):
                broken.append(task)
                continue
            try:
                extractions = futures[index].result()
                if len(extractions) != len(task):
                    raise RuntimeError(f"a worker returned {len(extractions)} results for {len(task)} pages")
            except BrokenProcessPool:
                broken.append(task)
                continue
            except Exception as error:  # e.g. a result that cannot be pickled: this task's pages fail, no more
                extractions = [self._failed(page, error) for page in batches[index]]
            for i, extraction in zip(task, extractions, strict=True):
                results[i] = extraction
        if broken:
            self.restarts += 1
            self._stop()
        return broken

    def _isolate(self, pages: Sequence[FetchedPage], broken: list[range], results: list[Extraction | None]) -> None:
        """Run the tasks a dead worker broke again: those that may have killed it one at a time (a task that kills a
        worker again is split into single pages; a page that kills one on its own gets an error Extraction), then
        the rest, which had not started, in parallel as before."""
        # Tasks reach the workers in order, at most `workers + 1` at a time: only the first broken ones had started.
        suspects, not_started = broken[: self.workers + 1], broken[self.workers + 1 :]
        while suspects:
            task = suspects.pop(0)
            if not self._run([[pages[i] for i in task]], [task], results):
                continue
            if len(task) > 1:
                suspects[:0] = [range(i, i + 1) for i in task]
                continue
            error = BrokenProcessPool("the worker process died while classifying this page")
            results[task[0]] = self._failed(pages[task[0]], error)
        if not_started:
            again = self._run([[pages[i] for i in task] for task in not_started], not_started, results)
            if again:
                self._isolate(pages, again, results)

    def _recycle_after(self, pages: int) -> None:
        """Stop the workers once they have classified `recycle_pages` pages; the next batch starts fresh ones."""
        if self._executor is None:  # classified in this process: the workers (when they start) have not seen them
            return
        self._pages_in_workers += pages
        if self._pages_in_workers >= self.recycle_pages:
            self.recycled += 1
            self._stop()

    def _failed(self, page: FetchedPage, error: BaseException) -> Extraction:
        return worker_failed(self.dispatcher, page, error)

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is not None:
            return self._executor
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context(POOL_START_METHOD),
            initializer=_init_worker,
            initargs=(self.rules_path,),
        )
        return self._executor

    def _stop(self) -> None:
        self._pages_in_workers = 0
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def classify_pool(
    rules_path: Path | None = None,
    workers: int = 1,
    *,
    inline_below: int = INLINE_BELOW,
    task_pages: int = TASK_PAGES,
    recycle_pages: int = RECYCLE_PAGES,
) -> ClassifyPool:
    """A ClassifyPool, to use in a `with` block: `with classify_pool(rules, workers) as pool: ...`."""
    return ClassifyPool(
        rules_path, workers, inline_below=inline_below, task_pages=task_pages, recycle_pages=recycle_pages
    )
