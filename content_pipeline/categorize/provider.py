"""The provider interface of the categorize stage and the factory that picks Gemini or the local model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.taxonomy import Taxonomy

DEFAULT_GEMINI_MODEL = "gemini-flash-latest"
NO_TEXT_REASON = "no title or text to categorize"
AnswerHook = Callable[[int, Categorization], None]  # (index of the document, its answer)


class CategorizeSystemError(RuntimeError):
    """A failure of the whole provider (credentials, model name, quota): the run should stop and say why."""


@runtime_checkable
class CategorizeProvider(Protocol):
    """Answers one Categorization per Document, in input order.

    A bad document yields a per-record status and reason; only system failures raise (CategorizeSystemError).
    `on_answer(i, answer)` is called in the caller's thread as soon as `docs[i]` is answered, so that the AI cache
    keeps every paid answer at once (a run killed midway does not pay for it again).
    """

    name: str  # "local" or "gemini"
    model: str
    prompt_version: str  # bump when the prompt, schema or scoring changes: part of the AI cache key

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]: ...


def has_text(doc: Document) -> bool:
    """A document is categorized from its text, or from its title alone when it has no text."""
    return bool(doc.text.strip() or doc.title.strip())


def build_provider(
    taxonomy: Taxonomy,
    gemini_api_key: str | None = None,
    gemini_model: str = DEFAULT_GEMINI_MODEL,
    gemini_base_url: str | None = None,
    *,
    timeout_s: float = 60.0,
    max_concurrency: int = 4,
    max_attempts: int = 3,
    max_text_chars: int | None = None,
    requests_per_minute: int | None = None,
    tokens_per_minute: int | None = None,
    max_cost_usd: float | None = None,
    max_output_tokens: int | None = None,
    gemini_prices_path: str | Path | None = None,
) -> CategorizeProvider:
    """Gemini when an API key is given, else the local embedding model (no network, no key).

    Rate limits left as None take the provider's defaults (0 switches a limit off); `max_cost_usd` None means no
    budget; `gemini_prices_path` None uses the bundled price table.
    """
    if gemini_api_key and gemini_api_key.strip():
        from content_pipeline.categorize.gemini_limits import DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKENS_PER_MINUTE
        from content_pipeline.categorize.gemini_provider import (
            DEFAULT_MAX_OUTPUT_TOKENS,
            DEFAULT_MAX_TEXT_CHARS,
            GeminiProvider,
        )
        from content_pipeline.categorize.pricing import load_prices

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
    from content_pipeline.categorize.local_provider import LocalEmbeddingProvider

    return LocalEmbeddingProvider(taxonomy)
