"""Cheap looks at an HTML page: the kind it declares (video, audio, social or article) from its head alone, a
declared paywall, and whether a page without text is an app shell that only JavaScript would fill."""

import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.html
from lxml import etree

from content_pipeline.classify.html_text import parse_html
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


# --- Pages that hold nothing readable without a browser, and pages that declare a paywall ---------------------

# Ids and custom elements that single-page apps mount into (React, Next.js, Nuxt, Gatsby, Angular, X, Mastodon...).
APP_ROOT_IDS = frozenset(
    {"root", "app", "__next", "__nuxt", "___gatsby", "react-root", "app-root", "svelte", "main-app", "mastodon"}
)
APP_ROOT_TAGS = frozenset({"app-root", "ytd-app", "shreddit-app"})
_DATA_SCRIPT_TYPES = frozenset({"application/json", "application/ld+json", "importmap", "text/template"})
_ASKS_FOR_JAVASCRIPT = re.compile(r"\bjavascript\b", re.IGNORECASE)
# Values of og-style article:content_tier (Facebook's Open Graph article extension) that mean a paywall.
PAYWALLED_CONTENT_TIERS = frozenset({"locked", "metered"})
_MICRODATA_NOT_FREE = re.compile(
    r"""<meta\b[^>]*\bitemprop\s*=\s*["']?isAccessibleForFree["']?[^>]*\bcontent\s*=\s*["']?false""", re.IGNORECASE
)
_PAYWALL_MARKUP = re.compile(r"""<[a-z][\w-]*\b[^>]*?\b(?:class|id)\s*=\s*["'][^"']*paywall""", re.IGNORECASE)


def javascript_shell(tree: lxml.html.HtmlElement) -> str | None:
    """How a page with no visible text shows it is an app JavaScript renders (a parsed lxml tree, scripts intact).

    Evidence: an empty mount point (`<div id="root">`...), scripts that load the app, a <noscript> note asking
    for JavaScript. None when there are no scripts, or only inline ones with nothing to mount into.
    """
    scripts = [s for s in tree.iter("script") if (s.get("type") or "").lower() not in _DATA_SCRIPT_TYPES]
    if not scripts:
        return None
    body = tree.find("body")
    mount = None
    for element in (body if body is not None else tree).iter():
        if isinstance(element.tag, str) and (element.get("id") in APP_ROOT_IDS or element.tag in APP_ROOT_TAGS):
            mount = f'<{element.tag} id="{element.get("id")}">' if element.get("id") else f"<{element.tag}>"
            break
    loaders = sum(1 for s in scripts if s.get("src"))
    asks = any(_ASKS_FOR_JAVASCRIPT.search(n.text_content() or "") for n in tree.iter("noscript"))
    if mount is None and not loaders and not asks:
        return None
    evidence = [f"empty {mount}"] if mount else []
    evidence.append(f"{len(scripts)} script{'s' if len(scripts) != 1 else ''}")
    if asks:
        evidence.append("<noscript> asks for JavaScript")
    return f"page needs JavaScript: no text, only an app shell ({', '.join(evidence)})"


def blank_page_reason(html: str) -> str | None:
    """Why a page shows no text at all ("empty page", or that it needs JavaScript); None when its body has words.

    Counts the body's words boilerplate included: tells an empty page from one that just holds no article.
    """
    tree = parse_html(html)
    if tree is None:
        return "empty page"
    shell = javascript_shell(tree)
    etree.strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    body = tree.find("body")
    if (body if body is not None else tree).text_content().split():
        return None
    return shell or "empty page"


def _not_free(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in {"false", "no", "0"})


def _jsonld_paywall(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    has_part = item.get("hasPart")
    parts = [p for p in (has_part if isinstance(has_part, list) else [has_part]) if isinstance(p, dict)]
    selectors = [
        str(p["cssSelector"]) for p in parts if _not_free(p.get("isAccessibleForFree")) and p.get("cssSelector")
    ]
    if _not_free(item.get("isAccessibleForFree")) or selectors:
        where = f", paywalled section {', '.join(selectors)}" if selectors else ""
        return f"JSON-LD isAccessibleForFree: false{where}"
    return None


def declared_paywall(html: str) -> str | None:
    """What in the page declares its content paywalled (JSON-LD or microdata isAccessibleForFree false, or an
    article:content_tier of locked/metered); None when nothing does."""
    head = html[:SNIFF_BYTES]
    lowered = head.lower()
    if "isaccessibleforfree" in lowered:
        for block in _JSONLD.findall(head):
            try:
                data = json.loads(block)
            except ValueError:
                continue
            items = data if isinstance(data, list) else [data]
            for item in items:
                members = item.get("@graph") if isinstance(item, dict) else None
                for candidate in [item, *(members if isinstance(members, list) else [])]:
                    if found := _jsonld_paywall(candidate):
                        return found
        if _MICRODATA_NOT_FREE.search(head):
            return "microdata isAccessibleForFree: false"
    if "content_tier" in lowered:
        for tag in _META_TAG.findall(head):
            attrs = _attributes(tag)
            key = (attrs.get("property") or attrs.get("name") or "").lower()
            tier = attrs.get("content", "").lower()
            if key == "article:content_tier" and tier in PAYWALLED_CONTENT_TIERS:
                return f"article:content_tier: {tier}"
    return None


def paywall_markup(html: str) -> bool:
    """True when an element's class or id names a paywall (a teaser page's subscribe wall)."""
    return bool(_PAYWALL_MARKUP.search(html[:SNIFF_BYTES]))
