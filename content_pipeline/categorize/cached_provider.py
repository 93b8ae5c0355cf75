"""A provider that answers from the AI cache first and asks its inner provider only for what it has not seen.

Storing: each answer is written the moment it comes, so a run killed midway never pays for it again; only an inner
provider whose answers cost nothing (`free_answers = True`, the local model) has them written STORE_BATCH at a time,
one transaction each, plus whatever is left when it returns or fails.

Accounting: a hit costs this run nothing (tokens_in, tokens_out and cost_usd are 0), so the partition's totals
show what this run paid; the original tokens and cost stay in the cache. A document with the same key as another
one in the same run is asked once; its copies count as hits when the answer was ok (copies of a failed answer get
the same status, with cache "miss" and no tokens).

Workers sharing the cache: before asking for keys the cache does not hold, a worker claims them and asks the inner
provider only for the keys it won (`ask_once` in content_pipeline/cache_store/claims.py). Answers that cost nothing
are not claimed.
"""

from collections.abc import Sequence
from dataclasses import replace

from content_pipeline.cache_store.claims import POLL_S, WAIT_S, ask_once
from content_pipeline.categorize.ai_cache import AiCache, cache_key, prompt_version_of
from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.provider import AnswerHook, CategorizeProvider, CategorizeSystemError
from content_pipeline.status import CategorizeStatus

HIT = "hit"
MISS = "miss"
STORE_BATCH = 256  # answers per cache transaction when they cost nothing to ask again


class CachedProvider:
    """The CategorizeProvider protocol over `inner`, with answers kept in `cache`."""

    def __init__(
        self,
        inner: CategorizeProvider,
        cache: AiCache,
        taxonomy_version: str,
        poll_s: float = POLL_S,
        wait_s: float = WAIT_S,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.taxonomy_version = taxonomy_version
        self.name = inner.name
        self.model = inner.model
        self.free = bool(getattr(inner, "free_answers", False))
        self.store_batch = STORE_BATCH if self.free else 1
        self.poll_s, self.wait_s = poll_s, wait_s

    @property
    def prompt_version(self) -> str:
        """The inner provider's, read when a key is made: the local model's depends on the day it was fitted to."""
        return prompt_version_of(self.inner)

    def key(self, doc: Document) -> str:
        return cache_key(self.name, self.model, self.prompt_version, self.taxonomy_version, doc)

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        """Answers from the cache, and from the inner provider for the rest; each new answer is stored as soon as it
        comes, so a run killed midway keeps what it paid for."""
        keys = [self.key(doc) for doc in docs]
        known = self.cache.lookup(keys)
        asked: dict[str, Document] = {}  # one document per key that the cache does not hold
        for key, doc in zip(keys, docs, strict=True):
            if key not in known:
                asked.setdefault(key, doc)
        if self.free:
            fresh = self.ask(list(asked.items()))
        else:
            fresh, stored_meanwhile = self.ask_claimed(asked)
            known.update(stored_meanwhile)
        out = []
        for key, doc in zip(keys, docs, strict=True):
            if key in known:
                out.append(as_hit(known[key], doc.record_id))
            elif asked[key] is doc:
                out.append(replace(fresh[key], cache=MISS))
            elif fresh[key].status == CategorizeStatus.OK:
                out.append(as_hit(fresh[key], doc.record_id))
            else:
                out.append(as_copy(fresh[key], doc.record_id))
        if on_answer is not None:
            for index, answer in enumerate(out):
                on_answer(index, answer)
        return out

    def ask_claimed(self, asked: dict[str, Document]) -> tuple[dict[str, Categorization], dict[str, Categorization]]:
        """The answers this worker paid for, and those another worker stored while this one waited, by key."""
        return ask_once(
            self.cache.claims,
            list(asked),
            self.cache.lookup,
            lambda keys, owner: self.ask([(key, asked[key]) for key in keys], owner),
            self.poll_s,
            self.wait_s,
        )

    def ask(self, pending: list[tuple[str, Document]], owner: str | None = None) -> dict[str, Categorization]:
        """The inner provider's answers by key, in one call so its concurrency, limits and budget still apply; each
        answer stored drops `owner`'s claim of its key."""
        if not pending:
            return {}

        unsaved: list[tuple[str, Categorization]] = []

        def save() -> None:
            if unsaved:
                self.cache.store(self.name, self.model, self.prompt_version, self.taxonomy_version, unsaved, owner)
                unsaved.clear()

        def keep(index: int, answer: Categorization) -> None:
            unsaved.append((pending[index][0], answer))
            if len(unsaved) >= self.store_batch:
                save()

        try:
            answers = self.inner.categorize([doc for _, doc in pending], on_answer=keep)
        finally:
            save()
        if len(answers) != len(pending):
            raise CategorizeSystemError(
                f"the {self.name} provider answered {len(answers)} of {len(pending)} documents: a provider bug"
            )
        return {key: answer for (key, _), answer in zip(pending, answers, strict=True)}


def as_hit(answer: Categorization, record_id: str) -> Categorization:
    """A stored answer given to `record_id`, free for this run."""
    return replace(answer, record_id=record_id, cache=HIT, tokens_in=0, tokens_out=0, cost_usd=0.0)


def as_copy(answer: Categorization, record_id: str) -> Categorization:
    """A failed answer repeated for a copy of the asked document, without counting its tokens or cost twice."""
    cost = None if answer.cost_usd is None else 0.0
    return replace(answer, record_id=record_id, cache=MISS, tokens_in=0, tokens_out=0, cost_usd=cost)


def with_cache(provider: CategorizeProvider, cache: AiCache | None, taxonomy_version: str) -> CategorizeProvider:
    """`provider` behind the AI cache, or `provider` itself when there is no cache."""
    return provider if cache is None else CachedProvider(provider, cache, taxonomy_version)
