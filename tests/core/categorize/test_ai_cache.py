"""The AI cache: a rerun over unchanged content asks the provider nothing; anything in the key that changes asks."""

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from content_pipeline.categorize.ai_cache import AiCache, cache_key, prompt_version_of
from content_pipeline.categorize.cached_provider import CachedProvider
from content_pipeline.categorize.gemini_provider import PROMPT_VERSION, GeminiProvider
from content_pipeline.categorize.models import Categorization, Document, Entity
from content_pipeline.categorize.provider import AnswerHook, CategorizeProvider
from content_pipeline.categorize.stats import categorize_stats
from content_pipeline.categorize.taxonomy import Taxonomy
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer, error

KEY = "test-key-ai-cache"
MODEL = "gemini-test-model"
TAXONOMY_VERSION = "tax-1"
DOCS = [
    Document("a", "article", "United win the derby", "Manchester United beat City 2-1.", "https://x.org/a", "en"),
    Document("b", "article", "Rates stay put", "The central bank kept rates unchanged.", "https://x.org/b", "en"),
    Document("c", "video", "Cooking pasta", "How to cook pasta al dente.", "https://x.org/c", None),
]


class CountingProvider:
    """A test double of the provider protocol that records every document it is asked about."""

    name = "counting"

    def __init__(self, model: str = "m1", prompt_version: str = "1", fail: set[str] | None = None) -> None:
        self.model = model
        self.prompt_version = prompt_version
        self.fail = fail or set()
        self.calls: list[list[str]] = []

    @property
    def asked(self) -> list[str]:
        return [record_id for call in self.calls for record_id in call]

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        self.calls.append([doc.record_id for doc in docs])
        answers = [self.answer(doc) for doc in docs]
        for i, given in enumerate(answers):
            if on_answer is not None:
                on_answer(i, given)
        return answers

    def answer(self, doc: Document) -> Categorization:
        if doc.title in self.fail:
            return Categorization(doc.record_id, "error", "the model said no")
        entities = [Entity(doc.title.split()[0], "Concept", 5)]
        return Categorization(
            doc.record_id, "ok", "", f"cat:{doc.title}", 0.9, ["t1", "t2"], "A summary.", entities, "", 100, 20, 0.01
        )


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[AiCache]:
    store = AiCache(tmp_path / "cache" / "ai.sqlite")
    yield store
    store.close()


def cached(inner: CategorizeProvider, cache: AiCache, taxonomy_version: str = TAXONOMY_VERSION) -> CachedProvider:
    return CachedProvider(inner, cache, taxonomy_version)


def test_a_second_run_of_the_same_documents_asks_the_provider_nothing(cache: AiCache) -> None:
    inner = CountingProvider()
    first = cached(inner, cache).categorize(DOCS)
    second = cached(inner, cache).categorize(DOCS)
    assert inner.calls == [["a", "b", "c"]]  # one call for all misses, none on the rerun
    assert [r.cache for r in first] == ["miss"] * 3 and [r.cache for r in second] == ["hit"] * 3
    assert [r.record_id for r in second] == ["a", "b", "c"]
    for was, now in zip(first, second, strict=True):
        assert (now.category, now.confidence, now.tags, now.summary) == (was.category, 0.9, ["t1", "t2"], "A summary.")
        assert now.entities == was.entities and now.entities is not None
        assert isinstance(now.entities[0], Entity)


def test_a_hit_costs_this_run_nothing_and_the_stats_show_hits_and_cost(cache: AiCache) -> None:
    inner = CountingProvider()
    first = cached(inner, cache).categorize(DOCS[:2])
    both = cached(inner, cache).categorize(DOCS)
    assert [(r.cache, r.tokens_in, r.tokens_out, r.cost_usd) for r in first] == [("miss", 100, 20, 0.01)] * 2
    assert [(r.cache, r.tokens_in, r.cost_usd) for r in both] == [("hit", 0, 0.0), ("hit", 0, 0.0), ("miss", 100, 0.01)]
    rows = [
        {"cache": r.cache, "tokens_in": r.tokens_in, "tokens_out": r.tokens_out, "cost_usd": r.cost_usd} for r in both
    ]
    rows.append({"cache": None, "tokens_in": 0, "tokens_out": 0, "cost_usd": None})  # a skipped record
    stats = categorize_stats(pl.DataFrame(rows, schema_overrides={"cost_usd": pl.Float64}))
    assert stats == {
        "tokens_in": 100,
        "tokens_out": 20,
        "cost_usd": 0.01,
        "cache_hits": 2,
        "cache_misses": 1,
        "cache_hit_rate": 0.6667,
    }


def test_the_same_content_under_another_id_or_url_is_a_hit_and_a_changed_text_is_a_miss(cache: AiCache) -> None:
    inner = CountingProvider()
    cached(inner, cache).categorize(DOCS)
    moved = replace(DOCS[0], record_id="a2", url="https://elsewhere.org/a")
    edited = replace(DOCS[1], record_id="b2", text=DOCS[1].text + " Markets rose.")
    results = cached(inner, cache).categorize([moved, edited])
    assert [(r.record_id, r.cache) for r in results] == [("a2", "hit"), ("b2", "miss")]
    assert inner.calls[1:] == [["b2"]]


@pytest.mark.parametrize(
    "change",
    [
        {"model": "m2"},
        {"prompt_version": "2"},
        {"taxonomy_version": "tax-2"},
    ],
)
def test_a_changed_model_prompt_version_or_taxonomy_asks_again(cache: AiCache, change: dict[str, str]) -> None:
    cached(CountingProvider(), cache).categorize(DOCS)
    inner = CountingProvider(model=change.get("model", "m1"), prompt_version=change.get("prompt_version", "1"))
    results = cached(inner, cache, change.get("taxonomy_version", TAXONOMY_VERSION)).categorize(DOCS)
    assert inner.calls == [["a", "b", "c"]] and {r.cache for r in results} == {"miss"}


def test_an_error_answer_is_not_cached_and_is_asked_again(cache: AiCache) -> None:
    flaky = CountingProvider(fail={DOCS[1].title})
    first = cached(flaky, cache).categorize(DOCS)
    assert [r.status for r in first] == ["ok", "error", "ok"] and len(cache) == 2
    healed = CountingProvider()
    second = cached(healed, cache).categorize(DOCS)
    assert healed.calls == [["b"]]
    assert [(r.status, r.cache) for r in second] == [("ok", "hit"), ("ok", "miss"), ("ok", "hit")]


def test_the_same_content_twice_in_one_run_is_asked_once(cache: AiCache) -> None:
    inner = CountingProvider()
    twin = replace(DOCS[0], record_id="twin", url="https://mirror.org/a")
    results = cached(inner, cache).categorize([DOCS[0], twin, DOCS[1]])
    assert inner.calls == [["a", "b"]]
    assert [(r.record_id, r.cache, r.tokens_in) for r in results] == [
        ("a", "miss", 100),
        ("twin", "hit", 0),
        ("b", "miss", 100),
    ]
    assert results[1].category == results[0].category


def test_copies_of_a_failed_document_share_its_error_without_counting_tokens_twice(cache: AiCache) -> None:
    inner = CountingProvider(fail={DOCS[0].title})
    twin = replace(DOCS[0], record_id="twin")
    results = cached(inner, cache).categorize([DOCS[0], twin])
    assert inner.calls == [["a"]]
    assert [(r.record_id, r.status, r.cache) for r in results] == [("a", "error", "miss"), ("twin", "error", "miss")]


def test_the_key_leaves_out_record_id_and_url_but_not_language() -> None:
    doc = DOCS[0]
    key = cache_key("p", "m", "1", "t", doc)
    assert cache_key("p", "m", "1", "t", replace(doc, record_id="z", url="https://o.org/")) == key
    assert cache_key("p", "m", "1", "t", replace(doc, language="de")) != key
    assert cache_key("p", "m", "1", "t", replace(doc, kind="video")) != key
    assert cache_key("p", "m", "1", "t", replace(doc, title="Other")) != key


def test_the_prompt_version_comes_from_the_provider_or_its_module(taxonomy: Taxonomy) -> None:
    assert prompt_version_of(CountingProvider(prompt_version="7")) == "7"
    gemini = GeminiProvider(KEY, MODEL, taxonomy, base_url="http://127.0.0.1:9")
    assert prompt_version_of(gemini) == PROMPT_VERSION


def test_the_cache_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ai.sqlite"
    first = AiCache(path)
    cached(CountingProvider(), first).categorize(DOCS)
    first.close()
    again = AiCache(path)
    inner = CountingProvider()
    assert {r.cache for r in cached(inner, again).categorize(DOCS)} == {"hit"} and inner.calls == []
    again.close()


# The real Gemini provider against the local server speaking the Gemini REST API.


def gemini(server: FakeGeminiServer, taxonomy: Taxonomy, model: str = MODEL) -> GeminiProvider:
    options: dict[str, object] = {"max_attempts": 1, "backoff_initial_s": 0.01, "timeout_s": 10.0}
    return GeminiProvider(KEY, model, taxonomy, base_url=server.base_url, **options)  # type: ignore[arg-type]


def categories_by_title(taxonomy: Taxonomy) -> dict[str, str]:
    names = list(taxonomy.names)
    return {doc.title: names[i % len(names)] for i, doc in enumerate(DOCS)}


def test_gemini_second_run_sends_zero_requests_and_returns_the_same_categories(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy, cache: AiCache
) -> None:
    expected = categories_by_title(taxonomy)

    def respond(request: Request) -> Reply:
        title = next(t for t in expected if t in request.user_text)
        return answer({"category": expected[title], "tags": ["x"], "summary": "S.", "entities": []})

    gemini_server.responder = respond
    first = cached(gemini(gemini_server, taxonomy), cache, taxonomy.version).categorize(DOCS)
    assert len(gemini_server.requests) == len(DOCS)
    second = cached(gemini(gemini_server, taxonomy), cache, taxonomy.version).categorize(DOCS)
    assert len(gemini_server.requests) == len(DOCS)  # not one more
    assert [r.category for r in second] == [r.category for r in first] == [expected[d.title] for d in DOCS]
    assert [r.cache for r in first] == ["miss"] * 3 and [r.cache for r in second] == ["hit"] * 3
    assert all(r.status == "ok" and r.tokens_in == 0 for r in second)

    other_model = cached(gemini(gemini_server, taxonomy, "gemini-other"), cache, taxonomy.version).categorize(DOCS[:1])
    assert other_model[0].cache == "miss" and gemini_server.requests[-1].model == "gemini-other"
    assert len(gemini_server.requests) == len(DOCS) + 1
    new_taxonomy = cached(gemini(gemini_server, taxonomy), cache, "another-taxonomy").categorize(DOCS[:1])
    edited = cached(gemini(gemini_server, taxonomy), cache, taxonomy.version).categorize(
        [replace(DOCS[0], text="New.")]
    )
    assert new_taxonomy[0].cache == edited[0].cache == "miss" and len(gemini_server.requests) == len(DOCS) + 3


def test_gemini_an_error_is_asked_again_and_the_same_content_twice_once(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy, cache: AiCache
) -> None:
    category = taxonomy.names[0]
    good = answer({"category": category, "tags": ["x"], "summary": "S.", "entities": []})
    gemini_server.enqueue(error(400, "INVALID_ARGUMENT", "the request was bad"))
    twin = replace(DOCS[0], record_id="twin", url="https://mirror.org/a")
    first = cached(gemini(gemini_server, taxonomy), cache, taxonomy.version).categorize([DOCS[0], twin])
    assert len(gemini_server.requests) == 1  # the twin is not asked
    assert [(r.status, r.cache) for r in first] == [("error", "miss"), ("error", "miss")]
    gemini_server.enqueue(good)
    second = cached(gemini(gemini_server, taxonomy), cache, taxonomy.version).categorize([DOCS[0], twin])
    assert len(gemini_server.requests) == 2  # the error was not cached: asked again, once
    assert [(r.record_id, r.status, r.cache) for r in second] == [("a", "ok", "miss"), ("twin", "ok", "hit")]
    third = cached(gemini(gemini_server, taxonomy), cache, taxonomy.version).categorize([twin])
    assert len(gemini_server.requests) == 2 and third[0].category == category and third[0].cache == "hit"


class DyingProvider(CountingProvider):
    """Answers `answers` documents one by one, then dies as a killed run would (the exception stands in for SIGKILL)."""

    def __init__(self, answers: int) -> None:
        super().__init__()
        self.answers = answers

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        for i, doc in enumerate(docs[: self.answers]):
            if on_answer is not None:
                on_answer(i, self.answer(doc))
        raise KeyboardInterrupt("killed")


def test_each_answer_is_kept_as_it_comes_so_a_run_killed_midway_does_not_pay_for_it_again(cache: AiCache) -> None:
    docs = [Document(f"r{i}", "article", f"Title {i}", f"Text number {i}.", f"https://x.org/{i}") for i in range(10)]
    with pytest.raises(KeyboardInterrupt):
        CachedProvider(DyingProvider(answers=7), cache, TAXONOMY_VERSION).categorize(docs)
    assert len(cache) == 7
    rerun = CountingProvider()
    results = CachedProvider(rerun, cache, TAXONOMY_VERSION).categorize(docs)
    assert rerun.asked == ["r7", "r8", "r9"]  # only what the killed run had not been told
    assert [r.cache for r in results] == ["hit"] * 7 + ["miss"] * 3


class CountingCache(AiCache):
    """The real cache, counting its write transactions."""

    writes = 0

    def store(self, *args: Any, **kwargs: Any) -> None:
        self.writes += 1
        super().store(*args, **kwargs)


class FreeProvider(CountingProvider):
    """Answers that cost nothing (as the local model's), optionally dying after `answers` of them."""

    free_answers = True

    def __init__(self, answers: int | None = None) -> None:
        super().__init__()
        self.answers = answers

    def answer(self, doc: Document) -> Categorization:
        return replace(super().answer(doc), tokens_in=0, tokens_out=0, cost_usd=None)

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        if self.answers is None:
            return super().categorize(docs, on_answer)
        for i, doc in enumerate(docs[: self.answers]):
            if on_answer is not None:
                on_answer(i, self.answer(doc))
        raise KeyboardInterrupt("killed")


def many_docs(count: int) -> list[Document]:
    return [Document(f"r{i}", "article", f"Title {i}", f"Text number {i}.") for i in range(count)]


def test_free_answers_are_stored_in_a_few_transactions_and_paid_ones_one_by_one(tmp_path: Path) -> None:
    cache = CountingCache(tmp_path / "ai.sqlite")
    docs = many_docs(600)
    CachedProvider(FreeProvider(), cache, TAXONOMY_VERSION).categorize(docs)
    assert len(cache) == 600 and cache.writes == 3  # 256 + 256 + the last 88
    CachedProvider(CountingProvider(prompt_version="paid"), cache, TAXONOMY_VERSION).categorize(docs[:10])
    assert len(cache) == 610 and cache.writes == 3 + 10
    cache.close()


def test_free_answers_given_before_a_failure_are_all_kept(cache: AiCache) -> None:
    docs = many_docs(300)
    with pytest.raises(KeyboardInterrupt):
        CachedProvider(FreeProvider(answers=270), cache, TAXONOMY_VERSION).categorize(docs)
    assert len(cache) == 270
    rerun = FreeProvider()
    CachedProvider(rerun, cache, TAXONOMY_VERSION).categorize(docs)
    assert rerun.asked == [f"r{i}" for i in range(270, 300)]
