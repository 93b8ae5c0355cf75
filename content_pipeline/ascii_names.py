"""Readable ASCII for names made from text in any script (anyascii: "Привет" -> "Privet", "北京" -> "Bei Jing")."""

import unicodedata

from anyascii import anyascii

_WIDE = frozenset({"W", "F"})  # East Asian wide and full-width characters: one syllable or word each
_SYMBOL = "So"  # emoji and other pictures: anyascii would spell them as ":cat:", no part of a name


def transliterated(text: str) -> str:
    """`text` in ASCII letters; each Chinese, Japanese or Korean character stands apart as a word; emoji are dropped."""
    if text.isascii():
        return text
    return anyascii("".join(_spaced(ch) for ch in text))


def _spaced(ch: str) -> str:
    if ch.isascii():
        return ch
    if unicodedata.category(ch) == _SYMBOL:
        return " "
    return f" {ch} " if unicodedata.east_asian_width(ch) in _WIDE else ch
