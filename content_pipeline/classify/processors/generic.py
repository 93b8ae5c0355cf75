"""Fallback for everything that is neither a page nor an image nor a known media type."""

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors.base import unsupported


class GenericProcessor:
    """Records what was fetched; extracts nothing (PDFs, archives, JSON, feeds...)."""

    name = "generic"
    kind = Kind.OTHER

    def process(self, page: FetchedPage) -> Extraction:
        return unsupported(self, page.content_type, content_type=page.content_type, bytes=len(page.body))
