"""Reading a generateContent response without importing google-genai: token usage and enum names."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # google-genai is imported only where requests are sent
    from google.genai.types import GenerateContentResponseUsageMetadata


def token_counts(usage: GenerateContentResponseUsageMetadata | None) -> tuple[int, int]:
    """Tokens in (the prompt) and out (the answer plus thinking) of one response; (0, 0) without usage."""
    if usage is None:
        return 0, 0
    return usage.prompt_token_count or 0, (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)


def enum_name(value: object) -> str:
    """The name of an SDK enum value (a finish or block reason), or the value itself as text."""
    return str(getattr(value, "name", value))
