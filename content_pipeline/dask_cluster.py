"""A connection to a Dask distributed scheduler, and a map of small tasks over its workers that loses no item.

    cluster = DaskCluster("tcp://scheduler:8786")
    results = cluster.map(task, shared, items, tasks, failed, doing="classifying this page")

Each task is `task(shared, [items of one range])` run on some worker; it returns one result per item, in order.
A worker that dies mid-task (killed, out of memory, a crash in C code) costs that task only: Dask runs it again on
another worker. A task that has taken down `distributed.scheduler.allowed-failures` workers (3 by default) fails
with KilledWorker; it is then split into single items, run side by side; one that fails so too (it, or the item
it was queued behind on a worker, kills workers) is run once more alone, and an item that kills workers on its own
gets `failed(item, error)`. A scheduler that cannot be reached, has no worker, or is lost mid-map raises OSError naming
its address: the caller's stage fails (and its retry policy runs it again); no item is marked failed for it.

`distributed` is imported only here, and only when a map runs: a run on one machine never loads it.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from distributed import Client, Future

CONNECT_TIMEOUT_S = 30.0  # how long the first connection to the scheduler may take before the stage fails
WORKERS_TIMEOUT_S = 120.0  # how long a scheduler without workers is waited for (tasks would wait there forever)

Shared = TypeVar("Shared")
Item = TypeVar("Item")
Result = TypeVar("Result")
Task = Callable[[Shared, list[Item]], list[Result]]
DoneHook = Callable[[range, list[Result]], None]  # (the items' indices, their results), as each task comes back


class DaskCluster(Generic[Shared, Item, Result]):
    """One client of a scheduler, connected at the first map (see the module's docstring)."""

    def __init__(
        self,
        address: str,
        *,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        workers_timeout_s: float = WORKERS_TIMEOUT_S,
    ) -> None:
        self.address = address
        self.connect_timeout_s = connect_timeout_s
        self.workers_timeout_s = workers_timeout_s
        self.isolated = 0  # tasks that killed workers until Dask gave up, split into single items
        self._client: Client | None = None

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def map(
        self,
        task: Task[Shared, Item, Result],
        shared: Shared,
        items: Sequence[Item],
        tasks: list[range],
        failed: Callable[[Item, BaseException], Result],
        *,
        doing: str,
        on_done: DoneHook[Result] | None = None,
    ) -> list[Result]:
        """One result per item, in input order; `doing` ends the error of an item that kills workers ("the Dask
        workers died while <doing>"). `on_done` sees each task's results as they come back, in task order."""
        results: list[Result | None] = [None] * len(items)
        killed = self._run(task, shared, items, tasks, failed, results, on_done)
        if killed:
            self.isolated += len(killed)
            singles = [range(i, i + 1) for killer in killed for i in killer]
            suspects = self._run(task, shared, items, singles, failed, results, on_done)
            for suspect in suspects:  # alone now: an item queued on the worker a killer took down is not blamed
                for single in self._run(task, shared, items, [suspect], failed, results, on_done):
                    error = RuntimeError(f"the Dask workers died while {doing}")
                    results[single[0]] = failed(items[single[0]], error)
                    if on_done is not None:
                        on_done(single, [results[single[0]]])  # type: ignore[list-item]
        missing = RuntimeError("no result came back from the Dask worker")
        return [r if r is not None else failed(items[i], missing) for i, r in enumerate(results)]

    def _run(
        self,
        task: Task[Shared, Item, Result],
        shared: Shared,
        items: Sequence[Item],
        tasks: list[range],
        failed: Callable[[Item, BaseException], Result],
        results: list[Result | None],
        on_done: DoneHook[Result] | None,
    ) -> list[range]:
        """Run tasks on the cluster, fill `results`; the tasks that kept killing workers (to split)."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        client = self.connect()
        futures: list[Future] = [client.submit(task, shared, [items[i] for i in t], pure=False) for t in tasks]
        killed: list[range] = []
        for indices, future in zip(tasks, futures, strict=True):
            try:
                answers = future.result()
                if len(answers) != len(indices):
                    raise RuntimeError(f"a worker returned {len(answers)} results for {len(indices)} items")
            except KilledWorker:
                killed.append(indices)
                continue
            except (OSError, TimeoutError, FutureCancelledError) as error:  # the cluster failed, not the items
                raise OSError(f"lost the Dask scheduler at {self.address}: {error!r}") from error
            except Exception as error:  # e.g. a result that cannot be serialised: this task's items fail, no more
                answers = [failed(items[i], error) for i in indices]
            finally:
                future.release()
            for i, answer in zip(indices, answers, strict=True):
                results[i] = answer
            if on_done is not None:
                on_done(indices, answers)
        return killed

    def connect(self) -> "Client":
        """The client, connected on first use; OSError when the scheduler is unreachable or has no worker."""
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
