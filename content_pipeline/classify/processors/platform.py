"""Shared reading of platform pages (video, audio, social): metadata the page declares, not its body text."""

from collections.abc import Iterable
from typing import Any

from content_pipeline.classify.html_text import is_html
from content_pipeline.classify.language import detect_language
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.page_metadata import PageMetadata, read_metadata
from content_pipeline.classify.processors.base import Processor, describe_type, nothing_useful, word_count
from content_pipeline.status import ClassifyStatus
from content_pipeline.text_encoding import decode_body


def _seconds(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


def direct_media(processor: Processor, page: FetchedPage, media_prefix: str | None) -> Extraction:
    """A media file linked directly (an .mp3, an .mp4): the type is the verdict, there is no metadata to read."""
    if media_prefix and page.content_type.startswith(media_prefix):
        return Extraction(
            kind=processor.kind,
            processor=processor.name,
            details={"media_file": True, "content_type": page.content_type, "bytes": len(page.body)},
        )
    return nothing_useful(
        processor, f"non-HTML content ({describe_type(page.content_type)})", content_type=page.content_type
    )


def platform_extraction(
    processor: Processor, page: FetchedPage, prefer_types: Iterable[str], media_prefix: str | None
) -> tuple[Extraction, PageMetadata | None]:
    """Extraction filled from OpenGraph / Twitter card / JSON-LD; the metadata too, for processor-specific details."""
    if not is_html(page.content_type, page.body):
        return direct_media(processor, page, media_prefix), None
    if not page.body.strip():
        return nothing_useful(processor, "empty page"), None
    decoded = decode_body(page.body, page.charset)
    meta = read_metadata(decoded.text, page.final_url or page.url, prefer_types)
    details: dict[str, Any] = {
        "og_type": meta.og_type,
        "twitter_card": meta.twitter_card,
        "duration_seconds": _seconds(meta.duration_seconds),
        "oembed_url": meta.oembed_url,
        "embed_url": meta.embed_url,
        "content_url": meta.content_url,
        "canonical_url": meta.canonical_url,
        "jsonld_types": meta.jsonld_types,
        "encoding": decoded.encoding,
    }
    if meta.problems:
        details["metadata_problems"] = meta.problems
    text = meta.description
    language, confidence = meta.language, None
    if language is None:
        language, confidence = detect_language(" ".join(filter(None, (meta.title, text))))
    if confidence is not None:
        details["language_confidence"] = confidence
    extraction = Extraction(
        kind=processor.kind,
        processor=processor.name,
        title=meta.title,
        author=meta.author,
        published=meta.published,
        site_name=meta.site_name,
        language=language,
        description=meta.description,
        text=text,
        word_count=word_count(text),
        thumbnail=meta.thumbnail,
        details=details,
    )
    if not (meta.title or meta.description):
        extraction.status = ClassifyStatus.NOTHING_USEFUL
        extraction.reason = "no title or description in the page's metadata"
    return extraction, meta
