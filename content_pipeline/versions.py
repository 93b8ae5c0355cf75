"""Code versions of the stages: what, besides the input rows, decides a stage's output.

A stage's version changes when its logic constant is bumped or when a file or library it depends on changes, so
the Dagster UI marks exactly the partitions that such a change made stale. Bump a `*_LOGIC` constant whenever a
change to that stage's code changes what it writes.
"""

import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from content_pipeline.categorize.gemini_constants import PROMPT_VERSION as GEMINI_PROMPT_VERSION
from content_pipeline.categorize.local_provider import LOCAL_MODEL_NAME, LocalEmbeddingProvider
from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.classify.dispatcher import DEFAULT_RULES_PATH
from content_pipeline.classify.oembed_providers import DEFAULT_PROVIDERS_PATH
from content_pipeline.classify.vision_answer import VISION_PROMPT_VERSION
from content_pipeline.gemini.constants import DEFAULT_GEMINI_MODEL
from content_pipeline.stages import Stage

INGEST_LOGIC = "1"
FETCH_LOGIC = "1"
CLASSIFY_LOGIC = "2"  # 2: language detected on the first 2,000 characters of the main text, not 5,000
CATEGORIZE_LOGIC = "1"
FILED_IMAGES_LOGIC = "1"
EXPORT_LOGIC = "1"
EXPORT_FILES_LOGIC = "1"
SHEET_RESULTS_LOGIC = "1"

FILE_HASH_CHARS = 12

ProviderKind = Literal["local", "gemini", "gemini-batch"]


@dataclass(frozen=True)
class VersionInputs:
    """What the versions are computed from; None paths mean the bundled defaults."""

    rules_path: Path | None = None
    taxonomy_path: Path | None = None
    provider: ProviderKind = "local"
    gemini_model: str | None = None  # None: the default model
    oembed: bool = True
    oembed_providers_path: Path | None = None


def provider_kind(gemini_enabled: bool, gemini_batch: bool) -> ProviderKind:
    """Which categorize provider runs: the same choice as resources/categorizer.py makes."""
    if not gemini_enabled:
        return "local"
    return "gemini-batch" if gemini_batch else "gemini"


def file_digest(path: Path) -> str:
    """A short hash of a YAML file's content: comments and formatting do not count, order does."""
    text = path.read_text(encoding="utf-8")
    try:
        canonical = json.dumps(yaml.safe_load(text), sort_keys=True, ensure_ascii=False, default=str)
    except yaml.YAMLError:
        canonical = text  # the stage itself will say what is wrong with the file
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:FILE_HASH_CHARS]


def trafilatura_version() -> str:
    try:
        return importlib.metadata.version("trafilatura")
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def extraction_version(rules_path: Path | None) -> str:
    """The classify logic, the extraction library and the dispatch rules in use."""
    rules = file_digest(rules_path or DEFAULT_RULES_PATH)
    return f"{CLASSIFY_LOGIC}-trafilatura{trafilatura_version()}-rules.{rules}"


def classify_version(inputs: VersionInputs) -> str:
    """Extraction plus what fills in the rest: Gemini Vision (with a key) and the oEmbed provider table."""
    parts = [extraction_version(inputs.rules_path)]
    if inputs.provider != "local":
        parts.append(f"vision{VISION_PROMPT_VERSION}.{inputs.gemini_model or DEFAULT_GEMINI_MODEL}")
    if inputs.oembed:
        parts.append(f"oembed.{file_digest(inputs.oembed_providers_path or DEFAULT_PROVIDERS_PATH)}")
    else:
        parts.append("oembed.off")
    return "-".join(parts)


def prompt_version(provider: ProviderKind) -> str:
    """The prompt version the provider class declares (the same one that keys the AI cache)."""
    versions = {
        "local": LocalEmbeddingProvider.PROMPT_VERSION,
        "gemini": GEMINI_PROMPT_VERSION,  # GeminiProvider's and GeminiBatchProvider's (tests/core/test_versions.py)
        "gemini-batch": GEMINI_PROMPT_VERSION,
    }
    return str(versions[provider])


def categorize_version(inputs: VersionInputs) -> str:
    """The categorize logic, the provider's prompt version, the model and the taxonomy's version."""
    model = LOCAL_MODEL_NAME if inputs.provider == "local" else inputs.gemini_model or DEFAULT_GEMINI_MODEL
    taxonomy = load_taxonomy(inputs.taxonomy_path).version
    return f"{CATEGORIZE_LOGIC}-{inputs.provider}.prompt{prompt_version(inputs.provider)}-{model}-taxonomy.{taxonomy}"


def stage_code_versions(inputs: VersionInputs) -> dict[str, str]:
    """The code version of each stage, by asset name."""
    return {
        Stage.INGEST: INGEST_LOGIC,
        Stage.FETCH: FETCH_LOGIC,
        Stage.CLASSIFY: classify_version(inputs),
        Stage.CATEGORIZE: categorize_version(inputs),
        Stage.FILED_IMAGES: FILED_IMAGES_LOGIC,
        Stage.EXPORT: EXPORT_LOGIC,
        Stage.EXPORT_FILES: EXPORT_FILES_LOGIC,
        Stage.SHEET_RESULTS: SHEET_RESULTS_LOGIC,
    }
