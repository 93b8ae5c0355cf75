"""Bytes to text: a BOM, the header charset, the document's own declaration, then detection.

A declared charset that fits all but a few byte sequences (a stray invalid byte in a UTF-8 page) still stands:
those sequences are replaced with U+FFFD rather than the whole page being handed to a detector that guesses.
"""

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

DECLARATION_SCAN_BYTES = 32_768  # how far into the document to look for <meta charset> or an XML declaration
MAX_REPLACED_SEQUENCES = 8  # a declared charset still stands with at most this many invalid byte sequences...
MAX_REPLACED_SHARE = 0.005  # ...that are also at most this share of the body's bytes; more: detection decides

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([\w.:-]+)["']""", re.IGNORECASE)

# What browsers actually use for labels that name a subset (WHATWG Encoding Standard).
_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "iso8859_9": "cp1254",
    "tis_620": "cp874",
}


@dataclass(frozen=True)
class DecodedText:
    """Decoded document text and where its encoding came from (bom, header, meta, detected, fallback)."""

    text: str
    encoding: str
    source: str
    replaced: int = 0  # invalid byte sequences replaced with U+FFFD (a declared charset that nearly fits)

    @property
    def described_source(self) -> str:
        """`source`, and what was replaced if anything: "meta, 1 invalid byte sequence replaced"."""
        if not self.replaced:
            return self.source
        return f"{self.source}, {self.replaced} invalid byte sequence{'s' if self.replaced > 1 else ''} replaced"


def normalize_encoding(label: str | None) -> str | None:
    """Python codec name for a charset label, widened the way browsers widen it; None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    key = name.replace("-", "_")
    return _SUPERSETS.get(key, name)


def declared_encoding(body: bytes) -> str | None:
    """Encoding named by an XML declaration or a <meta charset>/<meta http-equiv> tag near the top."""
    head = body[:DECLARATION_SCAN_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return normalize_encoding(match.group(1).decode("ascii", "ignore")) if match else None


def _try_decode(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_nearly(body: bytes, encoding: str | None) -> tuple[str, int] | None:
    """The body decoded with replacement and how many sequences were replaced, when they are few enough."""
    if not encoding:
        return None
    try:
        text = body.decode(encoding, errors="replace")
        replaced = len(text) - len(body.decode(encoding, errors="ignore"))
    except LookupError:
        return None
    if replaced > MAX_REPLACED_SEQUENCES or replaced > MAX_REPLACED_SHARE * len(body):
        return None
    return text, replaced


def decode_body(body: bytes, header_charset: str | None = None) -> DecodedText:
    """Decode with a BOM, the header charset, the meta charset, a declared charset that fits all but a few byte
    sequences (header, then meta), then detection; never raises."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = _try_decode(body, encoding)
            if text is not None:
                return DecodedText(text, encoding.removesuffix("-sig"), "bom")
    candidates = (
        (normalize_encoding(header_charset), "header"),
        (declared_encoding(body), "meta"),
    )
    for declared, source in candidates:
        text = _try_decode(body, declared)
        if text is not None and declared is not None:
            return DecodedText(text, declared, source)
    for declared, source in candidates:
        nearly = _decode_nearly(body, declared)
        if nearly is not None and declared is not None:
            return DecodedText(nearly[0], declared, source, replaced=nearly[1])
    best = charset_normalizer.from_bytes(body).best() if body else None
    if best is not None:
        return DecodedText(str(best), best.encoding, "detected")
    return DecodedText(body.decode("utf-8", errors="replace"), "utf-8", "fallback")
