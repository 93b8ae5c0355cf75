"""The factory that picks the categorize provider: Gemini when an API key is given, the local model otherwise."""

from __future__ import annotations

from pathlib import Path

from content_pipeline.categorize.provider import CategorizeProvider
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.gemini.constants import DEFAULT_GEMINI_MODEL, DEFAULT_TIMEOUT_S
from content_pipeline.gemini.limits import DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKENS_PER_MINUTE
from content_pipeline.gemini.pricing import load_prices


def build_provider(
    taxonomy: Taxonomy,
    gemini_api_key: str | None = None,
    gemini_model: str = DEFAULT_GEMINI_MODEL,
    gemini_base_url: str | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_concurrency: int = 4,
    max_attempts: int = 3,
    max_text_chars: int | None = None,
    requests_per_minute: int | None = None,
    tokens_per_minute: int | None = None,
    max_cost_usd: float | None = None,
    max_output_tokens: int | None = None,
    gemini_prices_path: str | Path | None = None,
    local_uncertain_below: float | None = None,
) -> CategorizeProvider:
    """Gemini when an API key is given, else the local embedding model (no network, no key).

    Rate limits left as None take the provider's defaults (0 switches a limit off); `max_cost_usd` None means no
    budget; `gemini_prices_path` None uses the bundled price table; `local_uncertain_below` None keeps the local
    model's default.
    """
    if not (gemini_api_key and gemini_api_key.strip()):
        # imported when used, as Gemini's below: the local model's modules cost ~0.2 s at every start of the CLI
        from content_pipeline.categorize.local_provider import LocalEmbeddingProvider, LocalSettings

        settings = (
            LocalSettings() if local_uncertain_below is None else LocalSettings(uncertain_below=local_uncertain_below)
        )
        return LocalEmbeddingProvider(taxonomy, settings)
    # imported only when a key is set: google-genai costs ~0.5 s at every start
    from content_pipeline.categorize.gemini_provider import (
        DEFAULT_MAX_OUTPUT_TOKENS,
        DEFAULT_MAX_TEXT_CHARS,
        GeminiProvider,
    )

    return GeminiProvider(
        api_key=gemini_api_key.strip(),
        model=gemini_model,
        taxonomy=taxonomy,
        base_url=gemini_base_url,
        timeout_s=timeout_s,
        max_concurrency=max_concurrency,
        max_attempts=max_attempts,
        max_text_chars=max_text_chars or DEFAULT_MAX_TEXT_CHARS,
        requests_per_minute=DEFAULT_REQUESTS_PER_MINUTE if requests_per_minute is None else requests_per_minute,
        tokens_per_minute=DEFAULT_TOKENS_PER_MINUTE if tokens_per_minute is None else tokens_per_minute,
        max_cost_usd=max_cost_usd,
        max_output_tokens=max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS,
        prices=load_prices(gemini_prices_path),
    )
