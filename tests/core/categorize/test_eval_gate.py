"""The eval gate: the local model must keep categorizing a small labeled golden set at least this well."""

from pathlib import Path

import pytest
import yaml

from content_pipeline.categorize.local_provider import LocalEmbeddingProvider
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.taxonomy import load_taxonomy

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "categorize.yaml"
ACCURACY_FLOOR = 0.90  # measured 0.975 (39 of 40) when pinned; a change that drops below this needs a look


@pytest.mark.parametrize("fitted", [False, True], ids=["descriptions", "fitted to the set as a day"])
def test_the_local_model_categorizes_the_golden_set_above_the_pinned_floor(fitted: bool) -> None:
    items = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["items"]
    taxonomy = load_taxonomy()
    assert {item["category"] for item in items} <= set(taxonomy.names)  # the labels are the taxonomy's own
    docs = [Document(str(i), "article", item["title"], item["text"], language="en") for i, item in enumerate(items)]
    provider = LocalEmbeddingProvider(taxonomy)
    if fitted:
        provider.fit_to(lambda: iter(docs))
    answers = provider.categorize(docs)
    wrong = [
        f"{item['title']}: {answer.category} (expected {item['category']})"
        for item, answer in zip(items, answers, strict=True)
        if answer.category != item["category"]
    ]
    accuracy = 1 - len(wrong) / len(items)
    assert len(items) >= 40 and accuracy >= ACCURACY_FLOOR, f"accuracy {accuracy:.3f}; wrong: {wrong}"
