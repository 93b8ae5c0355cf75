"""The provider interface of the categorize stage (the factory that picks one lives in provider_factory.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from content_pipeline.categorize.models import Categorization, Document

NO_TEXT_REASON = "no title or text to categorize"
AnswerHook = Callable[[int, Categorization], None]  # (index of the document, its answer)


class CategorizeSystemError(RuntimeError):
    """A failure of the whole provider (model name, cost settings, local model, AI cache): the run should stop."""


@runtime_checkable
class CategorizeProvider(Protocol):
    """Answers one Categorization per Document, in input order.

    A bad document yields a per-record status and reason; only system failures raise (CategorizeSystemError, or
    GeminiSystemError from content_pipeline.gemini, such as a rejected key).
    `on_answer(i, answer)` is called in the caller's thread as soon as `docs[i]` is answered, so that the AI cache
    keeps every paid answer at once (a run killed midway does not pay for it again).
    """

    name: str  # "local" or "gemini"
    model: str

    @property
    def prompt_version(self) -> str:
        """Changes when the prompt, schema or scoring changes (bump it): part of the AI cache key."""
        ...

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]: ...


def has_text(doc: Document) -> bool:
    """A document is categorized from its text, or from its title alone when it has no text."""
    return bool(doc.text.strip() or doc.title.strip())
