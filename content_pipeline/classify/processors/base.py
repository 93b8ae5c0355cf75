"""The processor interface and helpers every processor shares."""

from typing import Protocol

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.status import ClassifyStatus


class Processor(Protocol):
    """Turns one fetched page into an Extraction; may raise (the dispatcher turns that into status error)."""

    name: str
    kind: Kind

    def process(self, page: FetchedPage) -> Extraction: ...


def nothing_useful(processor: Processor, reason: str, **details: object) -> Extraction:
    """An extraction that found nothing worth keeping, and says why."""
    return Extraction(
        kind=processor.kind,
        processor=processor.name,
        status=ClassifyStatus.NOTHING_USEFUL,
        reason=reason,
        details=dict(details),
    )


def describe_type(content_type: str) -> str:
    """Content type for a human-readable reason."""
    return content_type or "unknown type"


def word_count(text: str | None) -> int:
    """Whitespace-separated words in a text."""
    return len(text.split()) if text else 0
