"""Social posts (Mastodon, X, Bluesky, Reddit, Instagram...): the post text, its author and handle."""

import re
from datetime import UTC, datetime

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.page_metadata import PageMetadata
from content_pipeline.classify.processors.base import word_count
from content_pipeline.classify.processors.platform import platform_extraction

SOCIAL_TYPES = ("SocialMediaPosting", "DiscussionForumPosting", "Comment")
# og:title shapes that carry the author: Mastodon and Bluesky "Name (@user@host)", X "Name (@user) on X",
# Instagram "Name on Instagram: "caption"", older X and Threads "Name on X".
_NAME_AND_HANDLE = re.compile(
    r"^(?P<name>.+?)\s*\((?P<handle>@[\w.@-]+)\)(?:\s+on\s+(?:X|Twitter|Threads|Instagram))?\s*$", re.DOTALL
)
_NAME_ON_PLATFORM = re.compile(r"^(?P<name>[^\n]+?) on (?:X|Twitter|Threads|Instagram)(?::\s.*)?$", re.DOTALL)
# Instagram's og:description: '128 likes, 9 comments - nellarden on May 3, 2024: "caption". '
_INSTAGRAM_DESCRIPTION = re.compile(
    r"^.*?\s-\s(?P<handle>[\w.]+) on (?P<date>[A-Z][a-z]+ \d{1,2}, \d{4}):\s*\"(?P<text>.*)\"\.?\s*$", re.DOTALL
)
# X and Twitter status URLs; the status id is a Snowflake whose top bits are milliseconds since 2010-11-04.
_X_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/(?P<handle>\w+)/status(?:es)?/(?P<id>\d+)")
SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
SNOWFLAKE_MIN_ID = 1 << 32  # ids before late 2010 were sequential, not time-based
_QUOTES = '"“”'


def _handle(meta: PageMetadata) -> str | None:
    for value in (meta.meta.get("twitter:creator"), meta.meta.get("profile:username")):
        if value:
            return value if value.startswith("@") else f"@{value}"
    return None


def _snowflake_time(status_id: str) -> str | None:
    """Posting time encoded in an X status id, as ISO 8601 UTC."""
    number = int(status_id)
    if number < SNOWFLAKE_MIN_ID:
        return None
    milliseconds = (number >> 22) + SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(milliseconds // 1000, UTC).isoformat()


def _set_text(extraction: Extraction, text: str) -> None:
    extraction.text = text.strip()
    extraction.word_count = word_count(extraction.text)


def _read_x(extraction: Extraction, url: str) -> None:
    """X: the post text arrives in typographic quotes; the handle and posting time are in the status URL."""
    match = _X_STATUS.match(url)
    if match is None:
        return
    text = extraction.text or ""
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        _set_text(extraction, text[1:-1])  # one pair only: the post may itself end with a quotation
    if match["handle"] != "i":  # x.com/i/status/<id> is a link without the author's handle
        extraction.details["handle"] = extraction.details.get("handle") or f"@{match['handle']}"
    if not extraction.published and (published := _snowflake_time(match["id"])):
        extraction.published = published
        extraction.details["published_from"] = "status id"


def _read_instagram(extraction: Extraction, meta: PageMetadata) -> None:
    """Instagram: handle, date and the full caption are only in the og:description sentence."""
    match = _INSTAGRAM_DESCRIPTION.match(meta.description or "")
    if match is None:
        return
    extraction.details["handle"] = extraction.details.get("handle") or f"@{match['handle']}"
    _set_text(extraction, match["text"])
    if not extraction.published:
        extraction.published = datetime.strptime(match["date"], "%B %d, %Y").date().isoformat()
    extraction.author = extraction.author or match["handle"]


class SocialProcessor:
    """Post text (from the card description or JSON-LD), author name, handle, posting time."""

    name = "social"
    kind = Kind.SOCIAL

    def process(self, page: FetchedPage) -> Extraction:
        extraction, meta = platform_extraction(self, page, SOCIAL_TYPES, media_prefix=None)
        if meta is None:
            return extraction
        handle = _handle(meta)
        title = meta.title or ""
        if match := _NAME_AND_HANDLE.match(title):
            handle = handle or match["handle"]
            if extraction.author in (None, handle):
                extraction.author = match["name"]
        elif (match := _NAME_ON_PLATFORM.match(title)) and extraction.author in (None, handle):
            extraction.author = match["name"]
        body = meta.main_item.get("articleBody") or meta.main_item.get("text")
        if isinstance(body, str) and body.strip():
            _set_text(extraction, body)
        headline = meta.main_item.get("headline")
        if isinstance(headline, str) and headline.strip() and set(SOCIAL_TYPES).intersection(meta.jsonld_types):
            extraction.title = headline.strip()  # Reddit: the post's own title, not "r/x on Reddit: ..."
        extraction.details["handle"] = handle
        _read_x(extraction, page.final_url or page.url)
        if meta.site_name == "Instagram" or "instagram.com/" in (page.final_url or page.url):
            _read_instagram(extraction, meta)
        extraction.author = extraction.author or extraction.details["handle"]
        extraction.details["activitypub_url"] = meta.activitypub_url
        return extraction
