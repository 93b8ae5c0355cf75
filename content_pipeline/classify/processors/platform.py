"""Shared reading of platform pages (video, audio, social): metadata the page declares, not its body text."""

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from content_pipeline.classify.html_text import is_html
from content_pipeline.classify.language import detect_language
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.page_metadata import PageMetadata, read_metadata
from content_pipeline.classify.processors.base import Processor, nothing_useful, unsupported, word_count
from content_pipeline.classify.sniff import blank_page_reason
from content_pipeline.status import ClassifyStatus
from content_pipeline.text_encoding import decode_body


def _seconds(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


def script_json(meta: PageMetadata, script_id: str) -> Any:
    """The parsed JSON of the page's `<script type="application/json" id=...>` block; None if absent or broken."""
    raw = meta.script_data.get(script_id)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]... through nested dicts; None as soon as a step is missing."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _post_text(meta: PageMetadata) -> str | None:
    """The fullest description the page carries: card descriptions are often cut short, structured data is not."""
    candidates = [meta.description, meta.main_item.get("description"), meta.microdata_item.get("description")]
    texts = [c.strip() for c in candidates if isinstance(c, str) and c.strip()]
    return max(texts, key=len) if texts else None


def direct_media(processor: Processor, page: FetchedPage, media_prefix: str | None) -> Extraction:
    """A media file linked directly (an .mp3, an .mp4): the type is the verdict, there is no metadata to read."""
    if media_prefix and page.content_type.startswith(media_prefix):
        return Extraction(
            kind=processor.kind,
            processor=processor.name,
            details={"media_file": True, "content_type": page.content_type, "bytes": len(page.body)},
        )
    return unsupported(processor, page.content_type, content_type=page.content_type)


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
    text = _post_text(meta)
    # The page's lang/og:locale is often the viewer's interface language (YouTube, X, Instagram), not the
    # content's: detect from the title and text first, and fall back to the declaration when they are too short.
    language, confidence = detect_language(" ".join(filter(None, (meta.title, text))))
    details["language_confidence"] = confidence
    if language is None:
        language = meta.language
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
    if not meta.description and _names_only_the_site(meta.title, meta.site_name, page.final_url or page.url):
        blank = blank_page_reason(decoded.text)
        extraction.status = ClassifyStatus.NOTHING_USEFUL
        if blank and blank != "empty page":
            extraction.reason = blank  # an app shell: the post only exists once JavaScript has run
        elif meta.title:
            extraction.reason = f"no description and only the site's name as title ({meta.title!r}): a login wall?"
        else:
            extraction.reason = "no title or description in the page's metadata"
    return extraction, meta


def _names_only_the_site(title: str | None, site_name: str | None, url: str) -> bool:
    """True when the title is missing or just the platform's name ("X", "Instagram"): a login wall or app shell."""
    if not title:
        return True
    try:
        labels = (urlsplit(url).hostname or "").split(".")
    except ValueError:
        labels = []
    brand = labels[-2] if len(labels) >= 2 else ""
    return title.strip().casefold() in {n.casefold() for n in (site_name, brand) if n}
