"""Video pages (YouTube, Vimeo, TikTok...) and video files."""

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors.platform import platform_extraction

VIDEO_TYPES = ("VideoObject", "Movie", "TVEpisode", "Episode", "Clip")


class VideoProcessor:
    """Title, channel, upload date, duration, thumbnail, description, oEmbed link."""

    name = "video"
    kind = Kind.VIDEO

    def process(self, page: FetchedPage) -> Extraction:
        extraction, meta = platform_extraction(self, page, VIDEO_TYPES, "video/")
        if meta is not None:
            extraction.details["channel"] = extraction.author
            extraction.details["upload_date"] = meta.main_item.get("uploadDate")
        return extraction
