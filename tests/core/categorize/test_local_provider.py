import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from content_pipeline.categorize.local_provider import LocalEmbeddingProvider
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.provider import CategorizeProvider
from content_pipeline.categorize.provider_factory import build_provider
from content_pipeline.categorize.taxonomy import Category, Taxonomy

FOOTBALL = Document(
    "r-sport",
    "article",
    "United beat City 2-1 in derby thriller",
    "Manchester United came from behind to beat Manchester City 2-1 at Old Trafford on Sunday. "
    "Marcus Rashford scored the winner in the 88th minute after Erling Haaland had given City the lead. "
    "The result lifts United to fourth in the Premier League table. "
    'The United manager said: "My players showed real resilience." Fans celebrated in the streets.',
)
RATES = Document(
    "r-business",
    "article",
    "Central bank raises interest rates again",
    "The Federal Reserve raised its benchmark interest rate by a quarter point on Wednesday, the central "
    "bank's eleventh increase in little more than a year, as policymakers continue to fight inflation. "
    "Fed chair Jerome Powell said further rate increases were possible. "
    "Stocks fell after the announcement, and bond yields rose as investors priced in higher borrowing costs.",
)
VACCINE = Document(
    "r-health",
    "article",
    "New vaccine cuts malaria deaths in children",
    "A new malaria vaccine reduced deaths among young children by a third in a large clinical trial, "
    "researchers reported. The vaccine was given to 20,000 children in Kenya and Ghana. "
    "Doctors said the results could transform public health across Africa.",
)
PHONE = Document(
    "r-tech",
    "article",
    "Apple unveils new iPhone with on-device AI",
    "Apple on Tuesday unveiled its latest iPhone, featuring a faster chip and new artificial intelligence "
    "features. The company said the software can summarize emails and edit photos on the device. "
    "Analysts said the smartphone's new processor outperforms rival Android handsets.",
)
ELECTION = Document(
    "r-politics",
    "article",
    "Opposition wins parliamentary election",
    "The opposition party won a clear majority in Sunday's parliamentary election, ending twelve years "
    "of rule by the governing coalition. The prime minister conceded defeat and said he would resign. "
    "Voters cited corruption scandals and the government's foreign policy.",
)


@pytest.fixture(scope="module")
def provider(taxonomy: Taxonomy) -> LocalEmbeddingProvider:
    return LocalEmbeddingProvider(taxonomy)


def test_it_is_a_categorize_provider_named_local(provider: LocalEmbeddingProvider) -> None:
    assert isinstance(provider, CategorizeProvider)
    assert provider.name == "local"
    assert provider.model == "wordllama/l2_supercat_256"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (FOOTBALL, "Sports"),
        (RATES, "Business & Economy"),
        (VACCINE, "Health"),
        (PHONE, "Science & Technology"),
        (ELECTION, "World & Politics"),
    ],
)
def test_a_clearly_topical_text_lands_in_its_category(
    provider: LocalEmbeddingProvider, doc: Document, expected: str
) -> None:
    [result] = provider.categorize([doc])
    assert result.status == "ok", result.reason
    assert result.category == expected
    assert result.confidence is not None and 0.0 < result.confidence <= 1.0


def test_tags_and_summary_are_drawn_from_the_text(provider: LocalEmbeddingProvider) -> None:
    for result, doc in zip(provider.categorize([FOOTBALL, RATES]), [FOOTBALL, RATES], strict=True):
        source = f"{doc.title} {doc.text}".casefold()
        assert 2 <= len(result.tags) <= 5
        assert all(tag.casefold() in source for tag in result.tags), result.tags
        assert result.summary
        sentences = re.split(r"(?<=[.!?])\s+", result.summary)
        assert 1 <= len(sentences) <= 3
        assert all(s in doc.text for s in sentences), result.summary
    assert any("rate" in t.casefold() for t in provider.categorize([RATES])[0].tags)


def test_a_long_text_gets_a_short_summary(provider: LocalEmbeddingProvider) -> None:
    long_doc = Document("r-long", "article", FOOTBALL.title, " ".join([FOOTBALL.text] * 40))
    [result] = provider.categorize([long_doc])
    assert result.category == "Sports"
    assert result.summary and len(result.summary) <= 500


def test_empty_documents_get_no_text_and_a_title_alone_is_still_categorized(provider: LocalEmbeddingProvider) -> None:
    empty = Document("r-empty", "article", "  ", " \n ")
    title_only = Document("r-title", "video", "Lakers beat the Celtics in overtime to win the NBA finals", "")
    results = provider.categorize([empty, title_only])
    assert [r.record_id for r in results] == ["r-empty", "r-title"]
    assert results[0].status == "no_text" and results[0].reason and results[0].category is None
    assert results[1].status == "ok" and results[1].category == "Sports"


def test_results_keep_input_order_and_report_no_entities(provider: LocalEmbeddingProvider) -> None:
    docs = [VACCINE, Document("e", "article", "", ""), FOOTBALL, PHONE, RATES] * 3
    results = provider.categorize(docs)
    assert [r.record_id for r in results] == [d.record_id for d in docs]
    assert [r.category for r in results[:5]] == ["Health", None, "Sports", "Science & Technology", "Business & Economy"]
    assert all(r.entities is None and r.entities_note == "not available in local mode" for r in results)
    assert all(r.tokens_in == 0 and r.tokens_out == 0 for r in results)
    assert provider.categorize([]) == []


def test_category_examples_steer_the_choice() -> None:
    taxonomy = Taxonomy.from_categories(
        [
            Category("Alpha", "Alpha topics.", ("Bake the bread in a hot oven", "Stir the soup and add salt")),
            Category("Beta", "Beta topics.", ("The new electric car has a bigger battery", "Engine and gearbox")),
        ]
    )
    provider = LocalEmbeddingProvider(taxonomy)
    doc = Document("r", "article", "Easy pancake recipe", "Whisk flour, eggs and milk, then fry in butter.")
    assert provider.categorize([doc])[0].category == "Alpha"


def test_without_a_gemini_key_the_factory_builds_the_local_provider(taxonomy: Taxonomy) -> None:
    assert build_provider(taxonomy, gemini_api_key=None).name == "local"
    assert build_provider(taxonomy, gemini_api_key="  ").name == "local"


def test_the_model_loads_and_answers_with_no_network(tmp_path: Path) -> None:
    """A fresh process with HF offline, an empty home (no download cache) and sockets that refuse to connect."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network disabled in this test")

        socket.socket.connect = refuse
        socket.create_connection = refuse

        from content_pipeline.categorize.local_provider import LocalEmbeddingProvider
        from content_pipeline.categorize.models import Document
        from content_pipeline.categorize.taxonomy import load_taxonomy

        doc = Document("r", "article", "Cup final", "The striker scored twice as the team won the cup final.")
        [result] = LocalEmbeddingProvider(load_taxonomy()).categorize([doc])
        print(result.status, result.category)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok Sports"
    assert not list(tmp_path.rglob("*.safetensors"))


def test_tags_of_a_german_text_skip_german_stop_words(taxonomy: Taxonomy) -> None:
    text = (
        "Die Stadtwerke haben für die neue Pilotanlage aus Natrium-Akkus einen Speicher gebaut. "
        "Die Pilotanlage soll von Januar an Strom aus Windkraft speichern. Der Speicher der Stadtwerke ist groß."
    )
    doc = Document("de-1", "article", "Pilotanlage für Natrium-Akkus", text, language="de")
    [result] = LocalEmbeddingProvider(taxonomy).categorize([doc])
    lowered = [tag.casefold() for tag in result.tags]
    assert lowered and not {"die", "für", "aus", "von", "der", "das"} & set(lowered)


def test_a_document_gets_the_same_answer_alone_and_among_others(provider: LocalEmbeddingProvider) -> None:
    crowd = [VACCINE, PHONE, ELECTION, FOOTBALL, Document("e", "article", "", "")] * 40 + [RATES]
    alone = provider.categorize([RATES])[0]
    among = provider.categorize(crowd)[-1]
    assert among == alone
    assert provider.categorize([RATES])[0] == alone


def test_only_the_lead_of_a_huge_text_is_read(provider: LocalEmbeddingProvider) -> None:
    filler = "Zanzibar xylophone quartets tour the marble quarries. " * 100_000  # ~5 MB after the cut
    doc = Document("r-huge", "article", FOOTBALL.title, FOOTBALL.text + " " * 8000 + filler)
    [result] = provider.categorize([doc])
    assert result.status == "ok" and result.category == "Sports"
    assert result.summary and "Zanzibar" not in result.summary and result.summary.startswith("Manchester United")
    assert result.tags and not any("zanzibar" in tag.casefold() for tag in result.tags)
