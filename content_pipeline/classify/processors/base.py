"""The processor interface and helpers every processor shares."""

import re
from typing import Protocol

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.status import ClassifyStatus


class Processor(Protocol):
    """Turns one fetched page into an Extraction; may raise (the dispatcher turns that into status error)."""

    name: str
    kind: Kind

    def process(self, page: FetchedPage) -> Extraction: ...


def nothing_useful(processor: Processor, reason: str, **details: object) -> Extraction:
    """An extraction that found nothing worth keeping, and says why."""
    return Extraction(
        kind=processor.kind,
        processor=processor.name,
        status=ClassifyStatus.NOTHING_USEFUL,
        reason=reason,
        details=dict(details),
    )


def unsupported(processor: Processor, media_type: str, why: str = "", **details: object) -> Extraction:
    """An extraction of content no processor reads (a PDF, an archive...), told apart from an empty page."""
    reason = f"unsupported content ({describe_type(media_type)})" + (f": {why}" if why else "")
    return Extraction(
        kind=processor.kind,
        processor=processor.name,
        status=ClassifyStatus.UNSUPPORTED,
        reason=reason,
        details=dict(details),
    )


def describe_type(content_type: str) -> str:
    """Content type for a human-readable reason."""
    return content_type or "unknown type"


# Scripts written without spaces between words: each Han ideograph or kana counts as one word (as word processors
# count them), so a Chinese or Japanese article is not judged "too short" for having no spaces.
_UNSPACED_CHARS = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
_CJK_PUNCTUATION = re.compile("[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65]")  # 。、「」！？ ...


def word_count(text: str | None) -> int:
    """Words in a text: whitespace-separated tokens, plus one per Chinese or Japanese character."""
    if not text:
        return 0
    unspaced = len(_UNSPACED_CHARS.findall(text))
    if not unspaced:
        return len(text.split())
    return unspaced + len(_CJK_PUNCTUATION.sub(" ", _UNSPACED_CHARS.sub(" ", text)).split())
