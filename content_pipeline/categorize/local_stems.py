"""Snowball stemmers (PyStemmer, in C) per document language, so that inflected forms of a word count as one tag."""

from __future__ import annotations

import threading
from collections.abc import Callable

import Stemmer

# ISO 639-1 codes (as classify detects them) of the languages Snowball has a stemmer for
SNOWBALL_LANGUAGES = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
DEFAULT_LANGUAGE = "en"  # the stemmer used when classify detected no language
MAX_REMEMBERED_STEMS = 200_000  # per language and thread; forgotten all at once beyond (about 20 MB)
StemWords = Callable[[list[str]], list[str]]

_PER_THREAD = threading.local()  # a PyStemmer object must not be shared between threads


class RememberingStemmer:
    """A Snowball stemmer that stems each distinct word once: a text's words cost a dict look-up each."""

    def __init__(self, algorithm: str) -> None:
        self._stem_words = Stemmer.Stemmer(algorithm).stemWords
        self._stems: dict[str, str] = {}

    def __call__(self, words: list[str]) -> list[str]:
        stems = self._stems
        new = list(set(words).difference(stems))
        if new:
            if len(stems) + len(new) > MAX_REMEMBERED_STEMS:
                stems.clear()
                new = list(set(words))
            stems.update(zip(new, self._stem_words(new), strict=True))
        return list(map(stems.__getitem__, words))


def _unchanged(words: list[str]) -> list[str]:
    return words


def stemmer_for(language: str | None) -> StemWords:
    """The stemmer of `language` (a list of lower-case words in, their stems out); words stay as they are without."""
    algorithm = SNOWBALL_LANGUAGES.get(language or DEFAULT_LANGUAGE)
    if algorithm is None:
        return _unchanged
    cache: dict[str, StemWords] = _PER_THREAD.__dict__.setdefault("stemmers", {})
    if algorithm not in cache:
        cache[algorithm] = RememberingStemmer(algorithm)
    return cache[algorithm]
