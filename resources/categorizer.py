"""The AI provider of the categorize stage: Gemini when a key is configured, the local model otherwise."""

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from content_pipeline.categorize.gemini_constants import DEFAULT_POLL_INTERVAL_S
from content_pipeline.categorize.pricing import load_prices
from content_pipeline.categorize.provider import DEFAULT_GEMINI_MODEL, CategorizeProvider
from content_pipeline.categorize.provider_factory import build_provider
from content_pipeline.categorize.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:  # google-genai is imported only when a key is set: it costs ~0.5 s at every start
    from content_pipeline.classify.vision import GeminiVision


class CategorizerResource(dg.ConfigurableResource):
    taxonomy_path: str | None = None  # None: the bundled content_pipeline/defaults/taxonomy.yaml
    gemini_api_key: str | None = None  # set only through dg.EnvVar("GEMINI_API_KEY"); never logged
    gemini_model: str = DEFAULT_GEMINI_MODEL
    gemini_base_url: str | None = None  # a different endpoint (a proxy, or a local test server)
    ai_cache_path: str | None = None  # the AI cache (SQLite); None: every run asks the provider
    ai_cache_local: bool = False  # cache the free local model's answers too (off: only paid providers)
    gemini_requests_per_minute: int | None = None  # None: the provider's default; 0: no limit
    gemini_tokens_per_minute: int | None = None
    gemini_max_cost_usd: float | None = None  # the run's budget; None: no budget
    gemini_max_output_tokens: int | None = None
    gemini_prices_path: str | None = None  # None: the bundled content_pipeline/defaults/gemini_prices.yaml
    gemini_batch: bool = False  # send each partition as one Gemini Batch API job (half price, up to 24 h)
    gemini_batch_poll_interval_s: float = DEFAULT_POLL_INTERVAL_S

    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(Path(self.taxonomy_path) if self.taxonomy_path else None)

    def vision(self) -> "GeminiVision | None":
        """Gemini Vision for the visual category of images when a key is set; None keeps the offline heuristic."""
        if not self.gemini_api_key:
            return None
        from content_pipeline.classify.vision import GeminiVision

        cache = Path(self.ai_cache_path) if self.ai_cache_path else None
        return GeminiVision(
            self.gemini_api_key,
            self.gemini_model,
            self.gemini_base_url,
            cache_path=cache,
            prices=load_prices(self.gemini_prices_path),
            **({"requests_per_minute": rpm} if (rpm := self.gemini_requests_per_minute) is not None else {}),
        )

    def ai_cache_for(self, provider: CategorizeProvider) -> Path | None:
        """Where `provider`'s answers are cached; None when caching is off or the provider is the free local one."""
        if not self.ai_cache_path or (provider.name == "local" and not self.ai_cache_local):
            return None
        return Path(self.ai_cache_path)

    def provider(self, taxonomy: Taxonomy) -> CategorizeProvider:
        """One provider per run: its rate limits, budget and quota stop live on the instance."""
        if self.gemini_batch and self.gemini_api_key:
            from content_pipeline.categorize.gemini_batch import GeminiBatchProvider

            return GeminiBatchProvider(
                self.gemini_api_key,
                self.gemini_model,
                taxonomy,
                self.gemini_base_url,
                poll_interval_s=self.gemini_batch_poll_interval_s,
            )
        return build_provider(
            taxonomy,
            gemini_api_key=self.gemini_api_key or None,
            gemini_model=self.gemini_model,
            gemini_base_url=self.gemini_base_url,
            requests_per_minute=self.gemini_requests_per_minute,
            tokens_per_minute=self.gemini_tokens_per_minute,
            max_cost_usd=self.gemini_max_cost_usd,
            max_output_tokens=self.gemini_max_output_tokens,
            gemini_prices_path=self.gemini_prices_path,
        )
