"""The local model says in an answer's reason when to read it with care: a page in another language than English,
a confidence below the threshold the user set."""

from content_pipeline.categorize.local_provider import LocalEmbeddingProvider, LocalSettings, caution
from content_pipeline.categorize.taxonomy import Taxonomy
from tests.core.categorize.test_dask_provider import FRENCH
from tests.core.categorize.test_local_provider import FOOTBALL, RATES


def test_a_page_in_another_language_is_marked_low_confidence_with_its_language() -> None:
    said = caution("fr", 0.9, 0.5, "Sports")
    assert said.startswith("low confidence: the page is in 'fr'") and "uncertain" not in said
    assert caution("en", 0.9, 0.5, "Sports") == caution(None, 0.9, 0.5, "Sports") == ""


def test_an_answer_below_the_threshold_is_uncertain_and_names_the_runner_up() -> None:
    assert caution("en", 0.31, 0.5, "Business & Economy") == (
        "uncertain: confidence 0.31 is below 0.50 (next: Business & Economy)"
    )
    assert caution("en", 0.31, 0.0, "Sports") == ""  # 0: the user asked for no mark
    both = caution("de", 0.2, 0.5, None)
    assert both.startswith("low confidence") and both.endswith("uncertain: confidence 0.20 is below 0.50")


def test_the_provider_puts_the_marks_in_the_reason_of_ok_answers(taxonomy: Taxonomy) -> None:
    french, football = LocalEmbeddingProvider(taxonomy).categorize([FRENCH, FOOTBALL])
    assert french.status == "ok" and french.reason.startswith("low confidence: the page is in 'fr'")
    assert football.status == "ok" and not football.reason.startswith("low confidence")
    wary = LocalEmbeddingProvider(taxonomy, LocalSettings(uncertain_below=1.0)).categorize([RATES])[0]
    assert wary.status == "ok" and wary.reason.startswith(f"uncertain: confidence {wary.confidence:.2f} is below 1.00")
    calm = LocalEmbeddingProvider(taxonomy, LocalSettings(uncertain_below=0.0)).categorize([RATES])[0]
    assert calm.reason == ""
