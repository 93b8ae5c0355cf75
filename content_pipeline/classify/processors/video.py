"""Video pages (YouTube, Vimeo, TikTok...) and video files."""

from datetime import UTC, datetime
from typing import Any

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.page_metadata import PageMetadata
from content_pipeline.classify.processors.base import word_count
from content_pipeline.classify.processors.platform import dig, platform_extraction, script_json

VIDEO_TYPES = ("VideoObject", "Movie", "TVEpisode", "Episode", "Clip")
TIKTOK_STATE_ID = "__UNIVERSAL_DATA_FOR_REHYDRATION__"  # TikTok's server-rendered state: the video's own record


def _tiktok_item(meta: PageMetadata) -> dict[str, Any] | None:
    """The video record TikTok embeds in its page (caption, author, creation time, duration, cover)."""
    state = script_json(meta, TIKTOK_STATE_ID)
    item = dig(state, "__DEFAULT_SCOPE__", "webapp.video-detail", "itemInfo", "itemStruct")
    return item if isinstance(item, dict) else None


def _from_epoch(value: object) -> str | None:
    try:
        seconds = int(str(value))
    except ValueError:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds > 0 else None


def _fill_from_tiktok(extraction: Extraction, item: dict[str, Any]) -> None:
    """Fields the og tags leave out (or only give as a handle) taken from TikTok's embedded video record."""
    details = extraction.details
    nickname, handle = dig(item, "author", "nickname"), dig(item, "author", "uniqueId")
    if isinstance(handle, str) and handle:
        details["handle"] = f"@{handle}"
    if isinstance(nickname, str) and nickname.strip() and extraction.author in (None, details.get("handle")):
        extraction.author = nickname.strip()
    extraction.published = extraction.published or _from_epoch(item.get("createTime"))
    duration = dig(item, "video", "duration")
    if details.get("duration_seconds") is None and isinstance(duration, int | float) and duration > 0:
        details["duration_seconds"] = duration
    cover = dig(item, "video", "cover")
    extraction.thumbnail = extraction.thumbnail or (cover if isinstance(cover, str) and cover else None)
    caption = item.get("desc")
    if isinstance(caption, str) and caption.strip():
        extraction.text = caption.strip()
        extraction.word_count = word_count(extraction.text)


class VideoProcessor:
    """Title, channel, upload date, duration, thumbnail, description, oEmbed link."""

    name = "video"
    kind = Kind.VIDEO

    def process(self, page: FetchedPage) -> Extraction:
        extraction, meta = platform_extraction(self, page, VIDEO_TYPES, "video/")
        if meta is None:
            return extraction
        if (item := _tiktok_item(meta)) is not None:
            _fill_from_tiktok(extraction, item)
        extraction.details["channel"] = extraction.author
        extraction.details["upload_date"] = meta.main_item.get("uploadDate") or meta.microdata_item.get("uploadDate")
        return extraction
