"""Articles: main text and metadata with trafilatura, language with py3langid."""

from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree

from content_pipeline.classify.html_text import is_html, is_text_document, parse_html
from content_pipeline.classify.language import detect_language
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors.base import describe_type, nothing_useful, word_count
from content_pipeline.status import ClassifyStatus
from content_pipeline.text_encoding import decode_body

MIN_ARTICLE_WORDS = 50  # fewer words of main text than this is a stub, an error page or a link hub


def _visible_words(html: str) -> int:
    """Words in the page's body, boilerplate included: tells an empty page from one without an article."""
    tree = parse_html(html)
    if tree is None:
        return 0
    etree.strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    body = tree.find("body")
    return word_count((body if body is not None else tree).text_content())


class ArticleProcessor:
    """Pages whose value is their prose: news, blog posts, documentation, plain text files."""

    name = "article"
    kind = Kind.ARTICLE

    def __init__(self, min_words: int = MIN_ARTICLE_WORDS, favor_precision: bool = True) -> None:
        self.min_words = min_words
        self.favor_precision = favor_precision

    def process(self, page: FetchedPage) -> Extraction:
        if not is_text_document(page.content_type, page.body):
            return nothing_useful(self, f"non-HTML content ({describe_type(page.content_type)})")
        if not page.body.strip():
            return nothing_useful(self, "empty page")
        decoded = decode_body(page.body, page.charset)
        details: dict[str, Any] = {"encoding": decoded.encoding, "encoding_source": decoded.source}
        if is_html(page.content_type, page.body):
            fields = self._extract_html(decoded.text, page.final_url or page.url)
            if not fields.get("text") and _visible_words(decoded.text) == 0:
                return nothing_useful(self, "empty page", **details)
        else:
            fields = {"text": decoded.text.strip()}
        text: str = fields.pop("text", None) or ""
        words = word_count(text)
        if words == 0:
            return nothing_useful(self, "no main text found", **details)
        details.update(fields.pop("details", {}))
        language, confidence = detect_language(text)
        details["language_confidence"] = confidence
        extraction = Extraction(
            kind=self.kind,
            processor=self.name,
            text=text,
            word_count=words,
            language=language,
            details=details,
            **fields,
        )
        if words < self.min_words:
            extraction.status = ClassifyStatus.NOTHING_USEFUL
            extraction.reason = f"too short ({words} words)"
        return extraction

    def _extract_html(self, html: str, url: str) -> dict[str, Any]:
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=self.favor_precision,
        )
        if document is None:
            return {}
        data = document if isinstance(document, dict) else document.as_dict()
        return {
            "text": data.get("text"),
            "title": data.get("title") or None,
            "author": data.get("author") or None,
            "published": data.get("date") or None,
            "site_name": data.get("sitename") or None,
            "description": data.get("description") or None,
            "thumbnail": urljoin(url, data["image"]) if data.get("image") else None,
            "details": {
                "categories": _split(data.get("categories")),
                "tags": _split(data.get("tags")),
                "page_type": data.get("pagetype") or None,
            },
        }


def _split(value: object) -> list[str]:
    """Trafilatura's categories/tags come as a list or a comma-separated string."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return []
