"""Cheap look at an HTML page's head to tell a video, audio or social page from an article (no full parse)."""

import json
import re
from collections.abc import Iterator
from typing import Any

from content_pipeline.classify.models import Kind

SNIFF_BYTES = 262_144  # platform pages put their metadata in <head>; do not scan megabytes of body

_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_JSONLD = re.compile(
    r"""<script\b[^>]*\btype\s*=\s*["']?application/ld\+json["']?[^>]*>(.*?)</script>""", re.IGNORECASE | re.DOTALL
)

ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle", "TechArticle", "AnalysisNewsArticle"}
)
JSONLD_KINDS: dict[str, Kind] = {
    "VideoObject": Kind.VIDEO,
    "Movie": Kind.VIDEO,
    "Episode": Kind.VIDEO,
    "TVEpisode": Kind.VIDEO,
    "AudioObject": Kind.AUDIO,
    "PodcastEpisode": Kind.AUDIO,
    "PodcastSeries": Kind.AUDIO,
    "MusicRecording": Kind.AUDIO,
    "MusicAlbum": Kind.AUDIO,
    "MusicPlaylist": Kind.AUDIO,
    "RadioEpisode": Kind.AUDIO,
    "SocialMediaPosting": Kind.SOCIAL,
    "DiscussionForumPosting": Kind.SOCIAL,
}
OG_TYPE_PREFIXES: tuple[tuple[str, Kind], ...] = (("video.", Kind.VIDEO), ("music.", Kind.AUDIO))


def _attributes(tag: str) -> dict[str, str]:
    return {k.lower(): v.strip("\"'").strip() for k, v in _ATTRIBUTE.findall(tag)}


def _top_level_types(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _top_level_types(item)
    elif isinstance(value, dict):
        if "@graph" in value:
            yield from _top_level_types(value["@graph"])
        types = value.get("@type")
        for t in types if isinstance(types, list) else [types]:
            if isinstance(t, str):
                yield t.rsplit("/", 1)[-1]


def jsonld_types(head: str) -> list[str]:
    """@type of every top-level JSON-LD item (and @graph member); unreadable blocks are skipped."""
    found: list[str] = []
    for block in _JSONLD.findall(head):
        try:
            found.extend(_top_level_types(json.loads(block)))
        except ValueError:
            continue
    return found


def sniff_html_kind(body: bytes) -> Kind | None:
    """Kind a page declares about itself (og:type, JSON-LD type, ActivityPub link, player card); None if none."""
    head = body[:SNIFF_BYTES].decode("latin-1")  # the markers are ASCII; any byte-preserving decode will do
    meta: dict[str, str] = {}
    for tag in _META_TAG.findall(head):
        attrs = _attributes(tag)
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        if key and "content" in attrs:
            meta.setdefault(key, attrs["content"].lower())
    og_type = meta.get("og:type", "")
    for prefix, kind in OG_TYPE_PREFIXES:
        if og_type.startswith(prefix):
            return kind
    types = jsonld_types(head)
    if ARTICLE_TYPES.intersection(types):
        return None  # a news page that embeds a video or offers an ActivityPub copy is still an article
    for t in types:
        if t in JSONLD_KINDS:
            return JSONLD_KINDS[t]
    for tag in _LINK_TAG.findall(head):
        attrs = _attributes(tag)
        if (
            "alternate" in attrs.get("rel", "").lower().split()
            and attrs.get("type", "").lower() == "application/activity+json"
        ):
            return Kind.SOCIAL
    if meta.get("twitter:card") == "player" and og_type in {"", "website"}:
        return Kind.VIDEO
    return None
