"""The local model's categorize answers computed by the workers of a Dask distributed cluster.

    provider = DaskLocalProvider("tcp://scheduler:8786", LocalEmbeddingProvider(taxonomy))
    answers = provider.categorize(docs)  # as the local provider answers them here, in input order

Documents go to the scheduler in tasks of one slice each (`LocalSettings.docs_per_slice`, the slices the provider
answers together on one machine), so every answer is the one this machine would give. The categories are fitted to
the day here, in the run's process; the taxonomy, the provider's settings and the fitted vectors travel with the
tasks, and each worker process builds its provider once for each and loads the model once. A document's text is cut
to what the model reads before it is sent.

Only the free local model goes to the cluster: Gemini's requests, tokens and budget are limited per run, so they
stay in the run's process. A worker that dies costs its task only; a document that keeps killing workers gets an
error answer; a scheduler that cannot be reached or is lost raises OSError naming its address
(content_pipeline/dask_cluster.py).
"""

import hashlib
import pickle
from collections.abc import Callable, Sequence
from types import TracebackType

import numpy as np

from content_pipeline.categorize.local_provider import (
    ENTITIES_NOTE,
    DaySource,
    LocalEmbeddingProvider,
    LocalSettings,
    read_part,
)
from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.provider import AnswerHook
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.dask_cluster import CONNECT_TIMEOUT_S, DaskCluster
from content_pipeline.free_memory import trim_c_heap
from content_pipeline.status import CategorizeStatus

Shared = tuple[Taxonomy, LocalSettings, np.ndarray]  # the taxonomy, the settings, the category vectors
Task = Callable[[Shared, list[Document]], list[Categorization]]
KEPT_PROVIDERS = 8  # providers a worker keeps (one per day's vectors): the model itself is loaded once
_PROVIDERS: dict[str, LocalEmbeddingProvider] = {}  # on a worker: the provider of each (taxonomy, settings, vectors)


def provider_for(shared: Shared) -> LocalEmbeddingProvider:
    """This worker process's provider for a taxonomy, settings and category vectors (built once for each)."""
    key = hashlib.sha256(pickle.dumps(shared)).hexdigest()
    if key not in _PROVIDERS:
        while len(_PROVIDERS) >= KEPT_PROVIDERS:
            del _PROVIDERS[next(iter(_PROVIDERS))]
        taxonomy, settings, vectors = shared
        _PROVIDERS[key] = LocalEmbeddingProvider(taxonomy, settings, category_vectors=vectors)
    return _PROVIDERS[key]


def categorize_on_worker(shared: Shared, docs: list[Document]) -> list[Categorization]:
    """The task a Dask worker runs: one answer per document, in order."""
    answers = provider_for(shared).categorize(docs)
    trim_c_heap()
    return answers


class DaskLocalProvider:
    """The local provider's answers, computed on a Dask cluster (see the module's docstring).

    `task` is what the workers run (importable by them: a module-level function)."""

    free_answers = True

    def __init__(
        self,
        address: str,
        local: LocalEmbeddingProvider,
        *,
        task: Task = categorize_on_worker,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.local = local
        self.task = task
        self.name, self.model = local.name, local.model
        self.address = address
        self._cluster: DaskCluster[Shared, Document, Categorization] = DaskCluster(
            address, connect_timeout_s=connect_timeout_s
        )

    @property
    def prompt_version(self) -> str:
        return self.local.prompt_version

    def fit_to(self, day: DaySource | None) -> None:
        """Fit the categories to these documents (in this process) before the next answer."""
        self.local.fit_to(day)

    @property
    def isolated(self) -> int:
        """Tasks that killed workers until Dask gave up, split into single documents."""
        return self._cluster.isolated

    def __enter__(self) -> "DaskLocalProvider":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self._cluster.close()

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        if not docs:
            return []
        settings = self.local.settings
        step = settings.docs_per_slice
        tasks = [range(start, min(start + step, len(docs))) for start in range(0, len(docs), step)]
        sent = [read_part(doc, settings.max_text_chars) for doc in docs]

        def answered(indices: range, answers: list[Categorization]) -> None:
            if on_answer is not None:
                for i, answer in zip(indices, answers, strict=True):
                    on_answer(i, answer)

        shared = (self.local.taxonomy, settings, self.local.category_vectors)  # fitted here, before any task
        return self._cluster.map(
            self.task, shared, sent, tasks, failed, doing="categorizing this document", on_done=answered
        )


def failed(doc: Document, error: BaseException) -> Categorization:
    """The answer of a document whose task failed on the cluster."""
    reason = f"categorize worker failed: {type(error).__name__}: {error}"[:300]
    return Categorization(
        record_id=doc.record_id, status=CategorizeStatus.ERROR.value, reason=reason, entities_note=ENTITIES_NOTE
    )
