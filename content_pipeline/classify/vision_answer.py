"""What Gemini Vision says about one picture (or why it says nothing)."""

from dataclasses import dataclass

VISION_PROMPT_VERSION = "2"  # bump when the prompt or schema changes: part of the AI cache key


@dataclass(frozen=True)
class VisionAnswer:
    """Gemini's verdict on one image, or why there is none (`error`; the heuristic category then stands)."""

    category: str | None = None
    description: str | None = None
    filename: str | None = None  # a safe slug: lowercase ASCII letters, digits and hyphens, no extension
    tags: tuple[str, ...] = ()
    error: str | None = None
    cached: bool = False  # answered from the AI cache: no request, nothing paid in this run
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None  # None when the model is not in the price table
