"""Articles: main text and metadata with trafilatura, language with py3langid."""

from typing import Any
from urllib.parse import urljoin

from lxml.etree import strip_tags
from lxml.html import HtmlElement
from trafilatura.core import trafilatura_sequence
from trafilatura.settings import Extractor
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from content_pipeline.classify.article_metadata import article_metadata
from content_pipeline.classify.html_text import is_html, is_text_document
from content_pipeline.classify.language import detect_language
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors.base import nothing_useful, unsupported, word_count
from content_pipeline.classify.sniff import blank_page_reason, declared_paywall, paywall_markup
from content_pipeline.status import ClassifyStatus
from content_pipeline.text_encoding import decode_body

MIN_ARTICLE_WORDS = 50  # fewer words of main text than this is a stub, an error page or a link hub
# A page that declares a paywall and yields fewer words than this is the free teaser, not the article.
PAYWALL_STUB_MAX_WORDS = 150


class ArticleProcessor:
    """Pages whose value is their prose: news, blog posts, documentation, plain text files."""

    name = "article"
    kind = Kind.ARTICLE

    def __init__(
        self,
        min_words: int = MIN_ARTICLE_WORDS,
        favor_precision: bool = True,
        paywall_stub_max_words: int = PAYWALL_STUB_MAX_WORDS,
    ) -> None:
        self.min_words = min_words
        self.favor_precision = favor_precision
        self.paywall_stub_max_words = paywall_stub_max_words

    def process(self, page: FetchedPage) -> Extraction:
        if not is_text_document(page.content_type, page.body):
            return unsupported(self, page.content_type)
        if not page.body.strip():
            return nothing_useful(self, "empty page")
        decoded = decode_body(page.body, page.charset)
        details: dict[str, Any] = {"encoding": decoded.encoding, "encoding_source": decoded.source}
        html = decoded.text if is_html(page.content_type, page.body) else None
        if html is not None:
            fields = self._extract_html(html, page.final_url or page.url)
            if not fields.get("text") and (blank := blank_page_reason(html)):
                return nothing_useful(self, blank, **details)
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
        paywall = declared_paywall(html) if html is not None else None
        if paywall:
            details["paywalled"] = True
            details["paywall_marker"] = paywall
        if words < self.min_words or (paywall and words < self.paywall_stub_max_words):
            extraction.status = ClassifyStatus.NOTHING_USEFUL
            extraction.reason = self._short_page_reason(words, html, paywall)
        return extraction

    def _short_page_reason(self, words: int, html: str | None, paywall: str | None) -> str:
        """A paywall stub, a JavaScript app whose only text is its <noscript> note, or just too short."""
        if html is not None and not paywall and paywall_markup(html):
            paywall = "an element whose class or id names a paywall"
        if paywall:
            return f"paywall stub: only {words} words are free ({paywall})"
        if html is not None and (blank := blank_page_reason(html)) and blank != "empty page":
            return blank
        return f"too short ({words} words)"

    def _extract_html(self, html: str, url: str) -> dict[str, Any]:
        """What `trafilatura.bare_extraction(html, with_metadata=True, ...)` gives, the page parsed once."""
        options = Extractor(
            output_format="python",
            precision=self.favor_precision,
            comments=False,
            tables=True,
            url=url,
        )
        tree = load_html(html, options.max_file_size)
        if tree is None:
            return {}
        metadata = article_metadata(tree, url, options.date_params)
        text = _main_text(tree, options)  # last: it prunes `tree`
        if text is None:
            return {}
        data = metadata.as_dict()
        return {
            "text": text,
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


def _main_text(tree: HtmlElement, options: Extractor) -> str | None:
    """The main text `trafilatura.bare_extraction(tree, options=options)` gives, by the same steps, without the copy
    of the whole tree it makes first so the caller's tree stays whole (~5% of a page's time): `tree` is pruned here.
    (Its other steps, deduplication and the target-language filter, are off in the processor's options.)"""
    body, text, _, comments = trafilatura_sequence(tree, options, options.url)
    if options.max_tree_size and len(body) > options.max_tree_size:
        strip_tags(body, "hi")
        if len(body) > options.max_tree_size:
            return None
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return None
    return xmltotxt(body, options.formatting)


def _split(value: object) -> list[str]:
    """Trafilatura's categories/tags come as a list or a comma-separated string."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return []
