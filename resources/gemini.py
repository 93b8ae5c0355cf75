"""Gemini as the categorize stage and classify's Vision share it: key, model, endpoint, rate limits, prices."""

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from content_pipeline.gemini.constants import DEFAULT_GEMINI_MODEL
from content_pipeline.gemini.limits import DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKENS_PER_MINUTE
from content_pipeline.gemini.pricing import PriceTable, load_prices

if TYPE_CHECKING:  # google-genai is imported only when a key is set: it costs ~0.5 s at every start
    from content_pipeline.classify.vision import GeminiVision


class GeminiResource(dg.ConfigurableResource):
    api_key: str | None = Field(
        default=None,
        description="The Gemini API key, set only through dg.EnvVar('GEMINI_API_KEY') and never logged; "
        "None: Gemini is off (categorize uses the local model, images keep the offline heuristic)",
    )
    model: str = Field(default=DEFAULT_GEMINI_MODEL, description="The Gemini model name")
    base_url: str | None = Field(
        default=None, description="Another endpoint (a proxy, or a local test server); None: Google's"
    )
    rpm: int = Field(
        default=DEFAULT_REQUESTS_PER_MINUTE, ge=0, description="Gemini requests per minute of a run; 0: no limit"
    )
    tpm: int = Field(
        default=DEFAULT_TOKENS_PER_MINUTE, ge=0, description="Gemini tokens per minute of a categorize run; 0: no limit"
    )
    prices: str | None = Field(
        default=None,
        description="The price table (YAML); None: the bundled content_pipeline/defaults/gemini_prices.yaml",
    )
    ai_cache: str | None = Field(
        default=None,
        description="The AI cache (SQLite) of categorize's and Vision's answers; None: every run asks again",
    )

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

        cache = Path(self.ai_cache) if self.ai_cache else None
        return GeminiVision(
            self.api_key,
            self.model,
            self.base_url,
            cache_path=cache,
            prices=self.price_table(),
            requests_per_minute=self.rpm,
        )
