"""Recognise markup from a body's first bytes: shared by fetch (media type sniffing) and classify (dispatch)."""

import re

HTML_SNIFF_BYTES = 1_024  # how far to look for "<html" when the server gave no content type

_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def looks_like_html(body: bytes) -> bool:
    """True when the bytes start like an HTML document (for pages served without a content type)."""
    head = body[:HTML_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head))
