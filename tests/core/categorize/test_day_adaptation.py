"""The local model's categories fitted to a day's documents: the sample does not depend on how the day comes, the
vectors move toward what each category wins, and fitted answers are answers of the same kind."""

import random
from dataclasses import replace

import numpy as np

from content_pipeline.categorize.day_adaptation import AdaptationSettings, adapt_categories, day_sample
from content_pipeline.categorize.local_embedding import unit
from content_pipeline.categorize.local_provider import LocalEmbeddingProvider
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.taxonomy import Taxonomy
from tests.core.categorize.test_dask_provider import documents


def test_the_sample_is_the_same_whatever_the_order_and_holds_at_most_its_size() -> None:
    docs = [Document(f"r-{i}", "article", f"t{i}", "x") for i in range(500)]
    shuffled = docs[:]
    random.Random(1).shuffle(shuffled)
    first = day_sample(iter(docs), 50)
    assert len(first) == 50 and len({d.record_id for d in first}) == 50
    assert first == day_sample(iter(shuffled), 50)
    assert day_sample(iter(docs[:30]), 50) == day_sample(iter(reversed(docs[:30])), 50)  # a small day: all of it
    assert len(day_sample(iter(docs[:30]), 50)) == 30


def test_each_category_moves_toward_the_documents_it_wins_and_an_empty_day_moves_nothing() -> None:
    rng = np.random.default_rng(0)
    truth = unit(rng.normal(size=(3, 16)))  # where each category's documents really are
    labels = unit(truth + 0.9 * unit(rng.normal(size=(3, 16))))  # the descriptions: near, not on, their documents
    docs = unit(np.repeat(truth, 200, axis=0) + 0.3 * rng.normal(size=(600, 16)))
    moved = adapt_categories(labels, docs, AdaptationSettings())
    before = np.einsum("cd,cd->c", labels, truth)
    after = np.einsum("cd,cd->c", moved, truth)
    assert (after > before).all() and (after > 0.9).all()
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(adapt_categories(labels, docs[:0], AdaptationSettings()), labels)
    few = adapt_categories(labels, docs[:3], AdaptationSettings())  # three documents barely move a category
    assert (np.einsum("cd,cd->c", few, labels) > 0.85).all()


def test_a_provider_fitted_to_a_day_answers_every_document_and_keys_its_answers_by_the_fit(taxonomy: Taxonomy) -> None:
    day = documents(300)
    provider = LocalEmbeddingProvider(taxonomy)
    plain_version = provider.prompt_version
    provider.fit_to(lambda: iter(day))
    answers = provider.categorize(day)
    assert len(answers) == len(day) and {a.status for a in answers} == {"ok"}
    assert provider.prompt_version.startswith(f"{plain_version}.")  # the AI cache keys fitted answers apart
    again = LocalEmbeddingProvider(taxonomy)
    again.fit_to(lambda: iter(list(reversed(day))))  # the same day read in another order
    assert again.prompt_version == provider.prompt_version
    assert [a.category for a in again.categorize(day)] == [a.category for a in answers]
    other = LocalEmbeddingProvider(taxonomy)
    other.fit_to(lambda: iter(day[:50]))
    assert other.prompt_version != provider.prompt_version


def test_documents_without_text_do_not_count_in_the_fit(taxonomy: Taxonomy) -> None:
    day = documents(100)
    blank = [replace(d, record_id=f"blank-{i}", title="", text="  ") for i, d in enumerate(day)]
    provider = LocalEmbeddingProvider(taxonomy)
    provider.fit_to(lambda: iter(day + blank))
    alone = LocalEmbeddingProvider(taxonomy)
    alone.fit_to(lambda: iter(day))
    assert np.array_equal(provider.category_vectors, alone.category_vectors)
