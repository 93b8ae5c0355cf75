"""The fields of GeminiResource (resources/gemini.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field

from content_pipeline.gemini.constants import DEFAULT_GEMINI_MODEL
from content_pipeline.gemini.limits import DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKENS_PER_MINUTE


class GeminiFields(BaseModel):
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
        description="The AI cache of categorize's and Vision's answers: a SQLite file, or a postgresql:// URL shared "
        "by every worker (a secret: read from its variable, never shown); None: every run asks again",
    )
