"""File and folder names made from untrusted text (a model's suggested name, a URL segment, a category).

A safe name is ASCII lower-case letters and digits joined by single hyphens (other scripts transliterated, so
"Привет мир" becomes "privet-mir"): no separators, no dots (so no ".."),
no control characters, never empty, bounded in length and never a Windows device name.
"""

import re

from content_pipeline.ascii_names import transliterated

MAX_STEM_CHARS = 80
MAX_EXTENSION_CHARS = 10
FAILURES_FOLDER = "failures"
OTHER_CATEGORY = "other"
DEFAULT_EXTENSION = "bin"
DEVICE_NAME_SUFFIX = "-file"
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SEPARATORS = re.compile(r"[/\\]")


def slug(text: str, limit: int = MAX_STEM_CHARS) -> str:
    """ASCII letters and digits of `text`, lower case, joined by single hyphens, at most `limit` characters."""
    ascii_only = transliterated(text).lower()
    return _NOT_SLUG.sub("-", ascii_only).strip("-.")[:limit].strip("-")


def safe_stem(*candidates: str | None, fallback: str) -> str:
    """The first candidate that gives a non-empty slug (then `fallback`'s), with device names suffixed."""
    for candidate in (*candidates, fallback):
        stem = slug(candidate or "")
        if stem:
            return f"{stem}{DEVICE_NAME_SUFFIX}" if stem in WINDOWS_DEVICE_NAMES else stem
    return f"unnamed{DEVICE_NAME_SUFFIX}"


def safe_extension(*candidates: str | None) -> str:
    """The first candidate that gives a non-empty short slug (without its dot), else "bin"."""
    for candidate in candidates:
        extension = slug((candidate or "").lstrip("."), MAX_EXTENSION_CHARS).replace("-", "")
        if extension:
            return extension
    return DEFAULT_EXTENSION


def category_folder(category: str | None) -> str:
    """The folder of a category: its safe name ("other" when none is left); never the failures folder."""
    folder = safe_stem(category, fallback=OTHER_CATEGORY)
    return f"{folder}-category" if folder == FAILURES_FOLDER else folder


def split_name(original: str) -> tuple[str, str]:
    """(stem, extension without the dot) of the last segment of a file name or URL path."""
    last = _SEPARATORS.split(original)[-1]
    stem, dot, extension = last.rpartition(".")
    if not dot or not stem:  # no extension, or a dot file such as ".jpg"
        return last, ""
    return stem, extension
