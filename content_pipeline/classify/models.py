"""What the classify stage reads (a fetched page) and what a processor returns (an extraction)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Kind(StrEnum):
    ARTICLE = "article"
    VIDEO = "video"
    AUDIO = "audio"
    SOCIAL = "social"
    IMAGE = "image"
    OTHER = "other"


@dataclass(frozen=True)
class FetchedPage:
    """One successfully fetched item: the input of the dispatcher and of every processor."""

    url: str
    final_url: str
    content_type: str  # media type only, lower case, e.g. "text/html"; "" when unknown
    body: bytes
    charset: str | None = None  # from the Content-Type header, when it named one


@dataclass
class Extraction:
    """What a processor extracted from one page; `status`/`reason` say why when it found nothing useful."""

    kind: Kind
    processor: str
    status: str = "ok"  # a ClassifyStatus value
    reason: str = ""
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 date or datetime as the page gave it, normalized when possible
    site_name: str | None = None
    language: str | None = None  # ISO 639-1 code
    description: str | None = None
    text: str | None = None
    word_count: int = 0
    thumbnail: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # processor-specific facts (duration, EXIF, phash...)


class PagePool(Protocol):
    """What classifies a stage's chunks of pages: a ClassifyPool (processes on this machine, pool.py) or a
    DaskClassifyPool (the workers of a Dask cluster, dask_pool.py)."""

    def classify(self, pages: Sequence[FetchedPage]) -> list[Extraction]:
        """One Extraction per page, in input order; never raises for a page."""
        ...

    def close(self) -> None:
        """Let go of the workers (or the connection to them)."""
        ...
