"""Audio pages (podcast episodes, songs on SoundCloud, Spotify, Bandcamp...) and audio files."""

from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.page_metadata import PageMetadata
from content_pipeline.classify.processors.platform import platform_extraction

AUDIO_TYPES = ("PodcastEpisode", "AudioObject", "MusicRecording", "RadioEpisode", "MusicAlbum", "MusicPlaylist")


def _series(meta: PageMetadata) -> str | None:
    """Show or album the episode or track belongs to."""
    for key in ("partOfSeries", "inAlbum", "partOfSeason"):
        value = meta.main_item.get(key)
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value["name"]
    return meta.meta.get("music:album") if not meta.meta.get("music:album", "").startswith("http") else None


class AudioProcessor:
    """Title, artist or host, show, release date, duration, artwork, description, oEmbed link."""

    name = "audio"
    kind = Kind.AUDIO

    def process(self, page: FetchedPage) -> Extraction:
        extraction, meta = platform_extraction(self, page, AUDIO_TYPES, "audio/")
        if meta is not None:
            extraction.details["series"] = _series(meta)
            episode = meta.main_item.get("episodeNumber")
            extraction.details["episode_number"] = str(episode) if episode is not None else None
        return extraction
