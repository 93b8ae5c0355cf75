"""The fields of CategorizerResource (resources/categorizer.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field

from content_pipeline.categorize.gemini_constants import DEFAULT_MAX_OUTPUT_TOKENS, DEFAULT_POLL_INTERVAL_S


class CategorizerFields(BaseModel):
    """Categorize's own settings; Gemini's (key, model, limits, prices, AI cache) come from GeminiResource."""

    taxonomy: str | None = Field(
        default=None, description="The taxonomy (YAML); None: the bundled content_pipeline/defaults/taxonomy.yaml"
    )
    local_fit_to_day: bool = Field(
        default=True,
        description="Fit the local model's categories to each day's own documents before answering (off: each "
        "category is only its name and description)",
    )
    local_uncertain_below: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="A local answer whose confidence is below this says 'uncertain' in its reason (0: never)",
    )
    ai_cache_local: bool = Field(
        default=False, description="Cache the free local model's answers too (off: only paid providers')"
    )
    gemini_max_cost_usd: float | None = Field(
        default=None, ge=0.0, description="The estimated spend at which a run stops calling Gemini; None: no budget"
    )
    gemini_max_output_tokens: int = Field(
        default=DEFAULT_MAX_OUTPUT_TOKENS, ge=1, description="The longest answer Gemini may give, in tokens"
    )
    gemini_batch: bool = Field(
        default=False, description="Send each partition as one Gemini Batch API job (half price, up to 24 h)"
    )
    gemini_batch_poll_s: float = Field(
        default=DEFAULT_POLL_INTERVAL_S, gt=0.0, description="How often a Batch API job is polled, in seconds"
    )
