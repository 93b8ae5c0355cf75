"""Social posts (Mastodon, X, Bluesky, Reddit...): the post text, its author and handle."""

import re

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.page_metadata import PageMetadata
from content_pipeline.classify.processors.base import word_count
from content_pipeline.classify.processors.platform import platform_extraction

SOCIAL_TYPES = ("SocialMediaPosting", "DiscussionForumPosting", "Comment")
_NAME_AND_HANDLE = re.compile(r"^(?P<name>.+?)\s*\((?P<handle>@[\w.@-]+)\)\s*$")  # Mastodon: "Name (@user@host)"


def _handle(meta: PageMetadata) -> str | None:
    for value in (meta.meta.get("twitter:creator"), meta.meta.get("profile:username")):
        if value:
            return value if value.startswith("@") else f"@{value}"
    return None


class SocialProcessor:
    """Post text (from the card description or JSON-LD), author name, handle, posting time."""

    name = "social"
    kind = Kind.SOCIAL

    def process(self, page: FetchedPage) -> Extraction:
        extraction, meta = platform_extraction(self, page, SOCIAL_TYPES, media_prefix=None)
        if meta is None:
            return extraction
        handle = _handle(meta)
        if meta.title and (match := _NAME_AND_HANDLE.match(meta.title)):
            handle = handle or match["handle"]
            if extraction.author in (None, handle):
                extraction.author = match["name"]
        body = meta.main_item.get("articleBody") or meta.main_item.get("text")
        if isinstance(body, str) and body.strip():
            extraction.text = body.strip()
            extraction.word_count = word_count(extraction.text)
        extraction.author = extraction.author or handle
        extraction.details["handle"] = handle
        extraction.details["activitypub_url"] = meta.activitypub_url
        return extraction
