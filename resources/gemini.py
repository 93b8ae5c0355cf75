"""Gemini as the categorize stage and classify's Vision share it: key, model, endpoint, rate limits, prices."""

from typing import TYPE_CHECKING

import dagster as dg

from content_pipeline.cache_store.location import cache_location
from content_pipeline.gemini.pricing import PriceTable, load_prices
from resources.fields.gemini import GeminiFields

if TYPE_CHECKING:  # google-genai is imported only when a key is set: it costs ~0.5 s at every start
    from content_pipeline.classify.vision import GeminiVision


class GeminiResource(GeminiFields, dg.ConfigurableResource):
    @property
    def enabled(self) -> bool:
        """Whether a key is configured (the Definitions hold the variable's name, never the key)."""
        return self.api_key is not None

    def price_table(self) -> PriceTable:
        return load_prices(self.prices)

    def vision(self) -> "GeminiVision | None":
        """Gemini Vision for the visual category of images when a key is set; None keeps the offline heuristic."""
        if not self.api_key:
            return None
        from content_pipeline.classify.vision import GeminiVision

        cache = cache_location(self.ai_cache) if self.ai_cache else None
        return GeminiVision(
            self.api_key,
            self.model,
            self.base_url,
            cache_path=cache,
            prices=self.price_table(),
            requests_per_minute=self.rpm,
        )
