"""DaskLocalProvider: the local model's answers computed on a real Dask distributed cluster (a scheduler and two
worker processes on 127.0.0.1, started here) are the answers this machine gives, and a dead worker loses none."""

from collections.abc import Iterator
from dataclasses import asdict, replace

import dask
import pytest
from distributed import LocalCluster

from content_pipeline.categorize.dask_provider import DaskLocalProvider
from content_pipeline.categorize.local_provider import LocalEmbeddingProvider, LocalSettings
from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.status import CategorizeStatus
from tests.core.categorize.crashing_documents import KILLER_ID, crashing_categorize_task
from tests.core.categorize.test_local_provider import ELECTION, FOOTBALL, PHONE, RATES, VACCINE

TOPICS = (FOOTBALL, RATES, VACCINE, PHONE, ELECTION)
FRENCH = Document(
    "r-fr",
    "article",
    "La banque centrale relève ses taux",
    "La Banque centrale européenne a relevé ses taux directeurs jeudi. Mme Lagarde a déclaré que l'inflation "
    "restait trop élevée. Les marchés ont reculé après l'annonce.",
    language="fr",
)


def documents(count: int) -> list[Document]:
    """`count` documents mixing the topics' sentences, so each differs from the others."""
    docs = []
    for i in range(count):
        first, second = TOPICS[i % 5], TOPICS[(i // 5) % 5]
        text = " ".join([first.text, *second.text.split(". ")[: 1 + i % 3]])
        docs.append(Document(f"doc-{i}", "article", f"{first.title} ({i})", text))
    return docs


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A Dask scheduler and two single-threaded worker processes (restarted by their nannies when they die)."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as cluster,
    ):
        yield cluster.scheduler_address


def test_the_clusters_answers_are_the_answers_given_here(scheduler: str, taxonomy: Taxonomy) -> None:
    long_text = " ".join([RATES.text] * 80)  # ~25,000 characters: the model reads 8,000 of them
    docs = [
        *documents(600),  # three slices of 256 and a part
        replace(RATES, record_id="long", text=long_text),
        replace(FOOTBALL, record_id="blank-lead", text=" " * 9000 + FOOTBALL.text),
        FRENCH,
        Document("title-only", "article", "Opposition wins parliamentary election", ""),
    ]
    local = LocalEmbeddingProvider(taxonomy)
    expected = local.categorize(docs)
    seen: list[tuple[int, Categorization]] = []
    with DaskLocalProvider(scheduler, local) as provider:
        answers = provider.categorize(docs, on_answer=lambda i, answer: seen.append((i, answer)))
    assert [asdict(a) for a in answers] == [asdict(e) for e in expected]
    assert sorted(i for i, _ in seen) == list(range(len(docs)))  # each answer handed over once, for the AI cache
    assert all(answers[i] is answer for i, answer in seen)
    assert {a.category for a in answers} >= {"Sports", "Business & Economy"}
    assert (provider.name, provider.model, provider.prompt_version) == (local.name, local.model, local.prompt_version)


def test_answers_fitted_to_a_day_are_the_same_on_the_cluster(scheduler: str, taxonomy: Taxonomy) -> None:
    day = documents(400)
    local = LocalEmbeddingProvider(taxonomy)
    local.fit_to(lambda: iter(day))
    expected = local.categorize(day)
    fitted_here = LocalEmbeddingProvider(taxonomy)
    with DaskLocalProvider(scheduler, fitted_here) as provider:
        provider.fit_to(lambda: iter(day))  # fitted in this process, the vectors sent with the tasks
        answers = provider.categorize(day)
        assert provider.prompt_version == local.prompt_version
    assert [asdict(a) for a in answers] == [asdict(e) for e in expected]


def test_the_workers_use_the_taxonomy_and_settings_the_provider_was_given(scheduler: str, taxonomy: Taxonomy) -> None:
    two = Taxonomy.from_categories([taxonomy.categories[0], taxonomy.categories[1]], source="test")
    local = LocalEmbeddingProvider(two, LocalSettings(tag_count=2, summary_sentences=1))
    with DaskLocalProvider(scheduler, local) as provider:
        answers = provider.categorize(list(TOPICS))
    assert {a.category for a in answers} <= set(two.names)
    assert all(len(a.tags) <= 2 for a in answers)
    assert [asdict(a) for a in answers] == [asdict(e) for e in local.categorize(list(TOPICS))]


def test_a_document_that_kills_its_workers_is_an_error_and_every_other_one_is_answered(
    scheduler: str, taxonomy: Taxonomy
) -> None:
    docs = documents(20)
    docs[7] = replace(docs[7], record_id=KILLER_ID)
    local = LocalEmbeddingProvider(taxonomy, LocalSettings(docs_per_slice=4))
    with DaskLocalProvider(scheduler, local, task=crashing_categorize_task) as provider:
        answers = provider.categorize(docs)
        assert provider.isolated >= 1
    assert answers[7].status == CategorizeStatus.ERROR
    assert answers[7].reason.startswith("categorize worker failed: RuntimeError: the Dask workers died")
    others = [asdict(a) for i, a in enumerate(answers) if i != 7]
    assert others == [asdict(e) for i, e in enumerate(local.categorize(docs)) if i != 7]


def test_a_scheduler_that_cannot_be_reached_is_an_error_naming_it(taxonomy: Taxonomy) -> None:
    local = LocalEmbeddingProvider(taxonomy)
    unreachable = DaskLocalProvider("tcp://127.0.0.1:9", local, connect_timeout_s=2)
    with unreachable as provider, pytest.raises(OSError) as raised:
        provider.categorize(list(TOPICS))
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:9" in str(raised.value)
