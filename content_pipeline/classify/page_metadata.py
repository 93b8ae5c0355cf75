"""Platform metadata of an HTML page: OpenGraph, Twitter cards, JSON-LD and microdata (via extruct), link tags."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html

from content_pipeline.classify.html_text import parse_html
from content_pipeline.classify.language import language_from_tag

_ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_CLOCK_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)$")
# JSON-LD items that describe the site around the page, not what the page is about.
_SUPPORTING_TYPES = frozenset(
    {"WebSite", "Organization", "BreadcrumbList", "WebPage", "Person", "ImageObject", "SiteNavigationElement"}
)
_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}
# oEmbed discovery: the spec names application/json+oembed; SoundCloud and others advertise text/json+oembed.
OEMBED_JSON_TYPES = frozenset({"application/json+oembed", "text/json+oembed"})
MAX_SCRIPT_DATA_CHARS = 2_000_000  # JSON state blobs (TikTok, Next.js) larger than this are not kept


@dataclass
class PageMetadata:
    """What a page says about itself, first source wins: OpenGraph, Twitter card, JSON-LD, microdata, <head>."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    description: str | None = None
    thumbnail: str | None = None
    language: str | None = None
    duration_seconds: float | None = None
    og_type: str | None = None
    twitter_card: str | None = None
    canonical_url: str | None = None
    oembed_url: str | None = None
    activitypub_url: str | None = None
    embed_url: str | None = None
    content_url: str | None = None
    jsonld_types: list[str] = field(default_factory=list)
    main_item: dict[str, Any] = field(default_factory=dict)  # the JSON-LD item the page is about
    microdata_item: dict[str, Any] = field(default_factory=dict)  # properties of the microdata item it is about
    script_data: dict[str, str] = field(default_factory=dict)  # id -> text of <script type="application/json">
    meta: dict[str, str] = field(default_factory=dict)  # every <meta property|name> -> content, first wins
    problems: list[str] = field(default_factory=list)  # metadata blocks that could not be read


def parse_iso_duration(value: object) -> float | None:
    """Seconds in an ISO 8601 duration ("PT4M13S" -> 253.0), a clock ("4:13") or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if match := _CLOCK_DURATION.match(text):
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    match = _ISO_DURATION.match(text)
    if not match or text.upper() in {"P", "PT"} or text.upper().endswith("T"):
        return None
    return float(sum(float(v) * _SECONDS[k] for k, v in match.groupdict().items() if v))


def normalize_date(value: object) -> str | None:
    """ISO 8601 form of a date or datetime string; the original string when it does not parse."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return parsed.date().isoformat() if len(text) == 10 else parsed.isoformat()


def _first(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _name_of(value: object) -> str | None:
    """A person/organization name from a JSON-LD or microdata value (string, object, or list of either)."""
    names: list[str] = []
    for item in _as_list(value):
        name = item.get("name") or item.get("properties", {}).get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = next((i for i in name if isinstance(i, str)), None)
        if isinstance(name, str) and name.strip() and not name.startswith(("http://", "https://")):
            names.append(name.strip())
    return ", ".join(dict.fromkeys(names)) or None


def _url_of(value: object) -> str | None:
    for item in _as_list(value):
        url = item.get("url") or item.get("contentUrl") if isinstance(item, dict) else item
        if isinstance(url, str) and url.strip():
            return url.strip()
    return None


def _types_of(item: dict[str, Any]) -> list[str]:
    return [t.rsplit("/", 1)[-1] for t in _as_list(item.get("@type")) if isinstance(t, str)]


def _duration_of(item: dict[str, Any]) -> float | None:
    """Seconds from an item's duration, its media object's duration (podcasts), or timeRequired (Apple)."""
    media = [m for m in _as_list(item.get("associatedMedia")) if isinstance(m, dict)]
    for candidate in (item.get("duration"), *(m.get("duration") for m in media), item.get("timeRequired")):
        if (seconds := parse_iso_duration(candidate)) is not None:
            return seconds
    return None


def _jsonld_items(raw: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Top-level JSON-LD items, with @graph members lifted up."""
    for item in raw:
        if isinstance(item, list):
            yield from _jsonld_items(item)
        elif isinstance(item, dict):
            if "@graph" in item:
                yield from _jsonld_items(_as_list(item["@graph"]))
            if "@type" in item:
                yield item


def _read_head(tree: lxml.html.HtmlElement, base_url: str, meta: PageMetadata) -> None:
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        content = (element.get("content") or "").strip()
        if key and content:
            meta.meta.setdefault(key, content)
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        href, link_type = element.get("href"), (element.get("type") or "").lower()
        if not href:
            continue
        if "alternate" in rel and link_type in OEMBED_JSON_TYPES and not meta.oembed_url:
            meta.oembed_url = urljoin(base_url, href.strip())
        elif "alternate" in rel and link_type == "application/activity+json" and not meta.activitypub_url:
            meta.activitypub_url = urljoin(base_url, href.strip())
        elif "canonical" in rel and not meta.canonical_url:
            meta.canonical_url = urljoin(base_url, href.strip())
    for element in tree.iter("script"):
        if (element.get("type") or "").lower() == "application/json" and element.get("id"):
            text = element.text or ""
            if len(text) <= MAX_SCRIPT_DATA_CHARS:
                meta.script_data.setdefault(element.get("id", ""), text)
    meta.language = language_from_tag(tree.get("lang") or tree.get("xml:lang"))


def _microdata_tree(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """YouTube writes `<link itemprop="name" content="...">` (no href): read such links as <meta>, as intended."""
    for element in tree.iter("link"):
        if element.get("itemprop") and element.get("content") is not None and not element.get("href"):
            element.tag = "meta"
    return tree


def _choose_main_item(items: list[dict[str, Any]], prefer_types: Iterable[str]) -> dict[str, Any]:
    preferred = set(prefer_types)
    for item in items:
        if preferred.intersection(_types_of(item)):
            return item
    return next((i for i in items if not _SUPPORTING_TYPES.issuperset(_types_of(i))), {})


def _choose_microdata(microdata: list[dict[str, Any]], prefer_types: Iterable[str]) -> dict[str, Any]:
    """Properties of the preferred microdata item (extruct gives types as full URLs), else of the first one."""
    items = [{"@type": i.get("type"), **i} for i in microdata if isinstance(i, dict)]
    chosen = _choose_main_item(items, prefer_types) if items else {}
    properties = (chosen or (items[0] if items else {})).get("properties", {})
    return properties if isinstance(properties, dict) else {}


def read_metadata(html: str, base_url: str, prefer_types: Iterable[str] = ()) -> PageMetadata:
    """Everything the page declares about itself; never raises (unreadable blocks are listed in `problems`)."""
    meta = PageMetadata()
    tree = parse_html(html)
    if tree is None:
        meta.problems.append("not parseable as HTML")
        return meta
    _read_head(tree, base_url, meta)
    # extruct's package imports all its parsers (mf2py, requests...: ~0.2 s): only processes that read pages pay it
    from extruct.jsonld import JsonLdExtractor
    from extruct.opengraph import OpenGraphExtractor
    from extruct.w3cmicrodata import MicrodataExtractor

    try:
        for block in OpenGraphExtractor().extract_items(tree, base_url=base_url):
            for key, value in block["properties"]:
                meta.meta.setdefault(key.lower(), value)  # OpenGraph in a prefixed namespace
    except Exception as error:
        meta.problems.append(f"opengraph: {type(error).__name__}")
    items: list[dict[str, Any]] = []
    try:
        items = list(_jsonld_items(JsonLdExtractor().extract_items(tree, base_url=base_url)))
    except Exception as error:
        meta.problems.append(f"json-ld: {type(error).__name__}")
    microdata: list[dict[str, Any]] = []
    try:
        microdata = list(MicrodataExtractor().extract_items(_microdata_tree(tree), base_url=base_url))
    except Exception as error:
        meta.problems.append(f"microdata: {type(error).__name__}")
    _merge(meta, tree, base_url, items, microdata, prefer_types)
    return meta


def _merge(
    meta: PageMetadata,
    tree: lxml.html.HtmlElement,
    base_url: str,
    items: list[dict[str, Any]],
    microdata: list[dict[str, Any]],
    prefer_types: Iterable[str],
) -> None:
    m = meta.meta
    main = _choose_main_item(items, prefer_types)
    props = _choose_microdata(microdata, prefer_types)
    meta.main_item = main
    meta.microdata_item = props
    meta.jsonld_types = [t for item in items for t in _types_of(item)]
    meta.og_type = m.get("og:type")
    meta.twitter_card = m.get("twitter:card")
    title_element = tree.find(".//title")
    meta.title = _first(
        m.get("og:title"),
        m.get("twitter:title"),
        main.get("headline"),
        main.get("name"),
        props.get("name"),
        title_element.text_content() if title_element is not None else None,
    )
    meta.description = _first(
        m.get("og:description"), m.get("twitter:description"), main.get("description"), m.get("description")
    )
    meta.site_name = _first(m.get("og:site_name"), _name_of(main.get("publisher")), m.get("twitter:site"))
    thumbnail = _first(
        m.get("og:image:secure_url"),
        m.get("og:image"),
        m.get("og:image:url"),
        m.get("twitter:image"),
        _url_of(main.get("thumbnailUrl")),
        _url_of(main.get("image")),
    )
    meta.thumbnail = urljoin(base_url, thumbnail) if thumbnail else None
    article_author = m.get("article:author")
    meta.author = _first(
        _name_of(main.get("author")),
        _name_of(main.get("creator")),
        _name_of(main.get("byArtist")),
        _name_of(props.get("author")),
        _name_of(props.get("byArtist")),
        None if article_author and article_author.startswith("http") else article_author,
        m.get("author"),
        m.get("music:musician_description"),  # Spotify: the artist's or show's name (music:musician is a URL)
        _name_of(main.get("productionCompany")),  # Apple Podcasts episodes name the show's producer only
        m.get("twitter:creator"),
    )
    meta.published = normalize_date(
        _first(
            main.get("datePublished"),
            main.get("uploadDate"),
            main.get("dateCreated"),
            m.get("article:published_time"),
            m.get("video:release_date"),
            m.get("music:release_date"),
            m.get("og:published_time"),
            props.get("datePublished"),
            props.get("uploadDate"),
        )
    )
    meta.duration_seconds = _duration_of(main)
    for candidate in (m.get("video:duration"), m.get("music:duration"), props.get("duration")):
        if meta.duration_seconds is None:
            meta.duration_seconds = parse_iso_duration(candidate)
    meta.language = meta.language or language_from_tag(_first(m.get("og:locale"), main.get("inLanguage")))
    embed = _first(
        main.get("embedUrl"),
        props.get("embedUrl"),
        m.get("og:video:secure_url"),
        m.get("og:video:url"),
        m.get("og:video"),
        m.get("twitter:player"),
    )
    meta.embed_url = urljoin(base_url, embed) if embed else None
    media = _first(_url_of(main.get("contentUrl")), _url_of(main.get("associatedMedia")), m.get("og:audio"))
    meta.content_url = urljoin(base_url, media) if media else None
