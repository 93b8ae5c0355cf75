"""Categorize's Gemini settings other modules need without importing google-genai (~0.5 s at every start)."""

PROMPT_VERSION = "1"  # bump when the prompt or schema changes: part of the AI cache key
DEFAULT_POLL_INTERVAL_S = 30.0  # how often a Batch API job is polled
DEFAULT_MAX_OUTPUT_TOKENS = 8192  # bounds a runaway answer (thinking tokens count too) and the pre-send estimate
