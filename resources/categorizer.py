"""The AI provider of the categorize stage: Gemini when a key is configured, the local model otherwise."""

from pathlib import Path

import dagster as dg

from content_pipeline.cache_store.location import CacheLocation, cache_location
from content_pipeline.categorize.provider import CategorizeProvider
from content_pipeline.categorize.provider_factory import build_provider
from content_pipeline.categorize.taxonomy import Taxonomy, load_taxonomy
from resources.fields.categorizer import CategorizerFields
from resources.gemini import GeminiResource


class CategorizerResource(CategorizerFields, dg.ConfigurableResource):
    """Categorize's own settings; Gemini's (key, model, limits, prices, AI cache) come from GeminiResource."""

    def load_taxonomy(self) -> Taxonomy:
        return load_taxonomy(Path(self.taxonomy) if self.taxonomy else None)

    def ai_cache_for(self, provider: CategorizeProvider, gemini: GeminiResource) -> CacheLocation | None:
        """Where `provider`'s answers are cached (`gemini`'s AI cache: a file or a shared database); None when off
        or for the free local model."""
        if not gemini.ai_cache or (provider.name == "local" and not self.ai_cache_local):
            return None
        return cache_location(gemini.ai_cache)

    def provider(self, taxonomy: Taxonomy, gemini: GeminiResource) -> CategorizeProvider:
        """One provider per run: its rate limits, budget and quota stop live on the instance."""
        if self.gemini_batch and gemini.api_key:
            from content_pipeline.categorize.gemini_batch import GeminiBatchProvider

            return GeminiBatchProvider(
                gemini.api_key,
                gemini.model,
                taxonomy,
                gemini.base_url,
                poll_interval_s=self.gemini_batch_poll_s,
            )
        return build_provider(
            taxonomy,
            gemini_api_key=gemini.api_key or None,
            gemini_model=gemini.model,
            gemini_base_url=gemini.base_url,
            requests_per_minute=gemini.rpm,
            tokens_per_minute=gemini.tpm,
            max_cost_usd=self.gemini_max_cost_usd,
            max_output_tokens=self.gemini_max_output_tokens,
            gemini_prices_path=gemini.prices,
            local_uncertain_below=self.local_uncertain_below,
        )
