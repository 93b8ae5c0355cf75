"""The AI provider of the categorize stage: Gemini when a key is configured, the local model otherwise."""

from pathlib import Path

import dagster as dg

from content_pipeline.categorize.provider import DEFAULT_GEMINI_MODEL, CategorizeProvider, build_provider
from content_pipeline.categorize.taxonomy import Taxonomy, load_taxonomy
from content_pipeline.classify.vision import GeminiVision


class CategorizerResource(dg.ConfigurableResource):
    taxonomy_path: str | None = None  # None: the bundled content_pipeline/defaults/taxonomy.yaml
    gemini_api_key: str | None = None  # set only through dg.EnvVar("GEMINI_API_KEY"); never logged
    gemini_model: str = DEFAULT_GEMINI_MODEL
    gemini_base_url: str | None = None  # a different endpoint (a proxy, or a local test server)
    ai_cache_path: str | None = None  # the AI cache (SQLite); None: every run asks the provider
    ai_cache_local: bool = False  # cache the free local model's answers too (off: only paid providers)

    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(Path(self.taxonomy_path) if self.taxonomy_path else None)

    def vision(self) -> GeminiVision | None:
        """Gemini Vision for the visual category of images when a key is set; None keeps the offline heuristic."""
        if not self.gemini_api_key:
            return None
        return GeminiVision(self.gemini_api_key, self.gemini_model, self.gemini_base_url)

    def ai_cache_for(self, provider: CategorizeProvider) -> Path | None:
        """Where `provider`'s answers are cached; None when caching is off or the provider is the free local one."""
        if not self.ai_cache_path or (provider.name == "local" and not self.ai_cache_local):
            return None
        return Path(self.ai_cache_path)

    def provider(self, taxonomy: Taxonomy) -> CategorizeProvider:
        return build_provider(
            taxonomy,
            gemini_api_key=self.gemini_api_key or None,
            gemini_model=self.gemini_model,
            gemini_base_url=self.gemini_base_url,
        )
