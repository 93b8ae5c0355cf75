from pathlib import Path

import pytest

from content_pipeline.categorize.taxonomy import DEFAULT_TAXONOMY_PATH, Category, Taxonomy, TaxonomyError, load_taxonomy

GOOD = """
categories:
  - name: Sports
    description: Matches, teams and players.
  - name: Business
    description: Companies, markets and the economy.
    examples: ["Shares rose after the merger."]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_taxonomy_covers_news_topics_with_descriptions() -> None:
    taxonomy = load_taxonomy()
    assert 8 <= len(taxonomy.categories) <= 10
    for name in ("World & Politics", "Business & Economy", "Science & Technology", "Sports", "Other"):
        assert name in taxonomy.names
    assert all(len(c.description.split()) >= 8 for c in taxonomy.categories)
    assert load_taxonomy(None) == load_taxonomy(DEFAULT_TAXONOMY_PATH)


def test_a_file_is_loaded_in_order_with_its_examples(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path, GOOD))
    assert taxonomy.names == ("Sports", "Business")
    assert taxonomy.categories[1].examples == ("Shares rose after the merger.",)
    assert taxonomy.categories[0].examples == ()


def test_version_is_a_short_content_hash_that_changes_with_the_content(tmp_path: Path) -> None:
    first = load_taxonomy(write(tmp_path, GOOD))
    assert first.version == load_taxonomy(write(tmp_path, GOOD)).version
    assert 8 <= len(first.version) <= 16
    changed = load_taxonomy(write(tmp_path, GOOD.replace("Matches,", "Games,")))
    assert changed.version != first.version
    reformatted = load_taxonomy(write(tmp_path, GOOD.replace("Matches, teams", "Matches,   teams")))
    assert reformatted.version == first.version


def test_a_version_set_in_the_file_is_kept(tmp_path: Path) -> None:
    assert load_taxonomy(write(tmp_path, "version: news-v2\n" + GOOD)).version == "news-v2"


def test_a_taxonomy_built_in_code_gets_a_version() -> None:
    cats = [Category("A", "about a"), Category("B", "about b")]
    taxonomy = Taxonomy.from_categories(cats)
    assert taxonomy.version and taxonomy.names == ("A", "B")
    assert Taxonomy.from_categories(cats, version="x").version == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\n", "categories"),
        ("categories: []\n", "categories"),
        (GOOD + "  - name: sports\n    description: again\n", "duplicate category name"),
        (GOOD + "  - name: Health\n    description: '  '\n", "empty description"),
        (GOOD + "  - name: Health\n", "empty description"),
        (GOOD + "  - name: ''\n    description: x\n", "empty name"),
        (GOOD + "  - name: Health\n    descripton: typo\n", "unknown keys"),
        ("categories: [\n", "not valid YAML"),
        ("- just a list\n", "mapping"),
        ("categories:\n  - name: Only\n    description: one\n", "at least 2"),
    ],
)
def test_a_bad_file_raises_a_value_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as info:
        load_taxonomy(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, TaxonomyError)


def test_a_missing_file_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml"):
        load_taxonomy(tmp_path / "nope.yaml")
