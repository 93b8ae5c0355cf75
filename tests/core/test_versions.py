"""Code versions: a change to the taxonomy, the rules, the provider or the model marks exactly the stages it affects."""

import shutil
from dataclasses import replace
from pathlib import Path

from content_pipeline.categorize.gemini_batch import GeminiBatchProvider
from content_pipeline.categorize.gemini_provider import PROMPT_VERSION, GeminiProvider
from content_pipeline.categorize.local_provider import LocalEmbeddingProvider
from content_pipeline.categorize.taxonomy import DEFAULT_TAXONOMY_PATH
from content_pipeline.classify.dispatcher import DEFAULT_RULES_PATH
from content_pipeline.versions import VersionInputs, provider_kind, stage_code_versions, trafilatura_version


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert (
        before.keys()
        == after.keys()
        == {"ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results"}
    )
    return {stage for stage in before if before[stage] != after[stage]}


def copies(tmp_path: Path) -> VersionInputs:
    taxonomy, rules = tmp_path / "taxonomy.yaml", tmp_path / "rules.yaml"
    shutil.copy(DEFAULT_TAXONOMY_PATH, taxonomy)
    shutil.copy(DEFAULT_RULES_PATH, rules)
    return VersionInputs(rules_path=rules, taxonomy_path=taxonomy)


def test_copies_of_the_bundled_files_give_the_bundled_versions(tmp_path: Path) -> None:
    assert stage_code_versions(copies(tmp_path)) == stage_code_versions(VersionInputs())


def test_a_changed_taxonomy_changes_only_the_categorize_version(tmp_path: Path) -> None:
    inputs = copies(tmp_path)
    before = stage_code_versions(inputs)
    assert inputs.taxonomy_path is not None
    text = inputs.taxonomy_path.read_text(encoding="utf-8")
    inputs.taxonomy_path.write_text(
        text + "  - name: Gardening\n    description: Plants, soil, seeds and growing food at home.\n", encoding="utf-8"
    )
    assert changed(before, stage_code_versions(inputs)) == {"categorize"}


def test_a_changed_rule_changes_only_the_classify_version_and_a_comment_changes_nothing(tmp_path: Path) -> None:
    inputs = copies(tmp_path)
    before = stage_code_versions(inputs)
    assert inputs.rules_path is not None
    text = inputs.rules_path.read_text(encoding="utf-8")
    inputs.rules_path.write_text("# my own copy\n" + text, encoding="utf-8")
    assert changed(before, stage_code_versions(inputs)) == set()
    inputs.rules_path.write_text(text + "\n- processor: video\n  domains: [videos.example.org]\n", encoding="utf-8")
    assert changed(before, stage_code_versions(inputs)) == {"classify"}


def test_the_extraction_version_names_the_trafilatura_release() -> None:
    classify = stage_code_versions(VersionInputs())["classify"]
    assert f"trafilatura{trafilatura_version()}" in classify and trafilatura_version() != "missing"


def test_the_provider_and_model_in_use_decide_the_categorize_version() -> None:
    local = stage_code_versions(VersionInputs())
    assert f"local.prompt{LocalEmbeddingProvider.PROMPT_VERSION}" in local["categorize"]
    gemini = stage_code_versions(VersionInputs(provider=provider_kind(True, False)))
    assert f"gemini.prompt{PROMPT_VERSION}" in gemini["categorize"]
    assert GeminiProvider.prompt_version == GeminiBatchProvider.prompt_version == PROMPT_VERSION  # versions.py
    assert changed(local, gemini) == {"classify", "categorize"}  # with a key, Gemini Vision also fills in images
    batch = stage_code_versions(VersionInputs(provider=provider_kind(True, True)))
    assert changed(gemini, batch) == {"categorize"}
    other_model = stage_code_versions(VersionInputs(provider="gemini", gemini_model="gemini-2.5-pro"))
    assert changed(gemini, other_model) == {"classify", "categorize"}
    assert provider_kind(False, True) == "local"  # batch mode needs a key too


def test_oembed_switched_off_or_another_provider_table_changes_only_classify(tmp_path: Path) -> None:
    inputs = VersionInputs()
    table = tmp_path / "oembed.yaml"
    table.write_text("- name: Example\n  endpoint: https://example.org/oembed\n  domains: [example.org]\n")
    assert changed(stage_code_versions(inputs), stage_code_versions(replace(inputs, oembed=False))) == {"classify"}
    other = stage_code_versions(replace(inputs, oembed_providers_path=table))
    assert changed(stage_code_versions(inputs), other) == {"classify"}
