"""Recognise and parse HTML documents (sniffing bytes lives in content_pipeline.markup, decoding them to text in
content_pipeline.text_encoding)."""

import re

import lxml.html
from lxml import etree

from content_pipeline.markup import looks_like_html

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PLAIN_TEXT_TYPES = frozenset({"text/plain"})

_XML_DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def is_html(content_type: str, body: bytes) -> bool:
    """True for HTML content types, and for untyped bodies that look like HTML."""
    if content_type in HTML_TYPES:
        return True
    return content_type == "" and looks_like_html(body)


def is_text_document(content_type: str, body: bytes) -> bool:
    """True for what the article processor can read: HTML, or plain text."""
    return content_type in PLAIN_TEXT_TYPES or is_html(content_type, body)


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """Parse decoded HTML into a tree; None when there is nothing to parse."""
    text = _XML_DECLARATION_TEXT.sub("", text, count=1)  # lxml refuses str input that declares an encoding
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
