"""Reading an oEmbed answer defensively (it is untrusted third-party JSON) and merging it into an Extraction."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from content_pipeline.classify.models import Extraction
from content_pipeline.classify.page_metadata import normalize_date
from content_pipeline.status import ClassifyStatus

MAX_OEMBED_TEXT_CHARS = 2_000  # longer strings from an endpoint are cut here, so a hostile answer cannot bloat a row
MAX_OEMBED_URL_CHARS = 2_000  # longer URLs are dropped (a cut URL would point somewhere else)
MAX_OEMBED_DURATION_S = 366 * 86_400  # a longer "duration" is not a real one
MAX_OEMBED_REASON_CHARS = 300
T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidOembedError(ValueError):
    """The body is not a JSON object."""


@dataclass
class OembedData:
    """The oEmbed fields the pipeline uses, cleaned: strings stripped and capped, URLs absolute http(s)."""

    type: str | None = None
    title: str | None = None
    author_name: str | None = None
    author_url: str | None = None
    provider_name: str | None = None
    thumbnail_url: str | None = None
    duration_seconds: int | float | None = None  # Vimeo's `duration`
    upload_date: str | None = None  # Vimeo's `upload_date`, ISO 8601 when it parses
    html_length: int | None = None  # the embed markup's length; the markup itself is never kept
    ignored: list[str] = field(default_factory=list)  # fields present with the wrong type or an unusable value

    def kept(self) -> dict[str, Any]:
        """What the record keeps about the answer itself, beside the fields merged into the extraction."""
        kept: dict[str, Any] = {
            "type": self.type,
            "provider_name": self.provider_name,
            "author_url": self.author_url,
            "html_length": self.html_length,
        }
        if self.ignored:
            kept["ignored_fields"] = self.ignored
        return kept


def clean_text(value: str, limit: int = MAX_OEMBED_TEXT_CHARS) -> str | None:
    """One line of text: control characters removed, whitespace collapsed, cut at `limit`; None when empty."""
    text = " ".join(_CONTROL.sub(" ", value[: limit * 4]).split())[:limit].strip()
    return text or None


def parse_oembed(body: bytes, base_url: str) -> OembedData:
    """The fields of an oEmbed JSON answer; raises InvalidOembedError when it is not a JSON object.

    Fields of the wrong type are ignored (and listed); relative URLs are resolved against `base_url`.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidOembedError(f"not JSON: {str(error)[:MAX_OEMBED_REASON_CHARS]}") from None
    if not isinstance(data, dict):
        raise InvalidOembedError(f"not a JSON object: got a JSON {_json_type(data)}")
    parsed = OembedData()
    reader = _Reader(data, base_url, parsed.ignored)
    parsed.type = reader.text("type")
    parsed.title = reader.text("title")
    parsed.author_name = reader.text("author_name")
    parsed.author_url = reader.url("author_url")
    parsed.provider_name = reader.text("provider_name")
    parsed.thumbnail_url = reader.url("thumbnail_url")
    parsed.duration_seconds = reader.seconds("duration")
    upload_date = reader.text("upload_date")
    parsed.upload_date = normalize_date(upload_date) if upload_date else None
    parsed.html_length = reader.length("html")
    return parsed


def merge_oembed(extraction: Extraction, data: OembedData) -> None:
    """Fill the extraction's gaps from oEmbed; where the page's own metadata has a value, the page wins.

    The page describes itself first-hand and was already normalized by its processor; oEmbed is the provider's
    summary for embedding, so it only completes: title, author, site name, thumbnail, duration, published date.
    A record whose page had nothing useful becomes `ok` when oEmbed gives it a title.
    """
    extraction.title = extraction.title or data.title
    extraction.author = extraction.author or data.author_name
    extraction.site_name = extraction.site_name or data.provider_name
    extraction.thumbnail = extraction.thumbnail or data.thumbnail_url
    extraction.published = extraction.published or data.upload_date
    if extraction.details.get("duration_seconds") is None and data.duration_seconds is not None:
        extraction.details["duration_seconds"] = data.duration_seconds
    if extraction.status == ClassifyStatus.NOTHING_USEFUL and data.title:
        extraction.status, extraction.reason = ClassifyStatus.OK, ""


class _Reader:
    """Typed access to the answer's fields: a present value of the wrong type (or unusable) is listed and skipped."""

    def __init__(self, data: dict[str, Any], base_url: str, ignored: list[str]) -> None:
        self.data, self.base_url, self.ignored = data, base_url, ignored

    def get(self, key: str, convert: Callable[[Any], T | None]) -> T | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        converted = convert(value)
        if converted is None:
            self.ignored.append(key)
        return converted

    def text(self, key: str) -> str | None:
        return self.get(key, lambda value: clean_text(value) if isinstance(value, str) else None)

    def url(self, key: str) -> str | None:
        return self.get(key, lambda value: absolute_url(value, self.base_url))

    def seconds(self, key: str) -> int | float | None:
        return self.get(key, seconds)

    def length(self, key: str) -> int | None:
        return self.get(key, lambda value: len(value) if isinstance(value, str) else None)


def absolute_url(value: object, base_url: str) -> str | None:
    """An http(s) URL, resolved against `base_url` when relative; None for anything else or anything too long."""
    if not isinstance(value, str) or len(value) > MAX_OEMBED_URL_CHARS or _CONTROL.search(value.strip()):
        return None
    try:
        absolute = urljoin(base_url, value.strip())
        usable = urlsplit(absolute).scheme in ("http", "https") and len(absolute) <= MAX_OEMBED_URL_CHARS
    except ValueError:
        return None
    return absolute if usable else None


def seconds(value: object) -> int | float | None:
    """A duration in seconds: a non-negative JSON number under a year; None for strings, booleans, NaN..."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= MAX_OEMBED_DURATION_S:  # also false for NaN and infinities
        return None
    return int(value) if float(value).is_integer() else round(float(value), 3)


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
