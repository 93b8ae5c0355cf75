"""The oEmbed provider table: which endpoint to ask about a page URL, and how to build the request URL."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml

DEFAULT_PROVIDERS_PATH = Path(__file__).resolve().parents[1] / "defaults" / "oembed_providers.yaml"


@dataclass(frozen=True)
class Provider:
    """An oEmbed endpoint and the page URLs it answers for."""

    name: str
    endpoint: str
    url_patterns: tuple[re.Pattern[str], ...]

    def matches(self, page_url: str) -> bool:
        return any(p.search(page_url) for p in self.url_patterns)


def request_url(endpoint: str, page_url: str) -> str:
    """`<endpoint>?url=<quoted page url>&format=json`, appended to a query string the endpoint already has."""
    parts = urlsplit(endpoint)
    ours = f"url={quote(page_url, safe='')}&format=json"
    query = f"{parts.query}&{ours}" if parts.query else ours
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def endpoint_of(url: str) -> str:
    """The endpoint a request went to, without its query, fragment or credentials (safe to store and show)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def find_provider(providers: Sequence[Provider], page_urls: Iterable[str]) -> tuple[Provider, str] | None:
    """The first provider matching one of the page's URLs (tried in order), with the URL it matched."""
    urls = [u for u in dict.fromkeys(page_urls) if u]
    for provider in providers:
        for url in urls:
            if provider.matches(url):
                return provider, url
    return None


def load_providers(path: Path | None = None) -> list[Provider]:
    """Providers from a YAML list of {name, endpoint, url_patterns}; raises ValueError naming the bad entry."""
    source = Path(path) if path else DEFAULT_PROVIDERS_PATH
    data: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "providers" in data:
        data = data["providers"]
    if data is None:  # an empty file: no providers, only the links pages advertise
        return []
    if not isinstance(data, list):
        raise ValueError(f"{source}: expected a list of providers ({{name, endpoint, url_patterns}})")
    return [_provider(raw, f"{source}: provider {number}") for number, raw in enumerate(data, start=1)]


def _provider(raw: object, where: str) -> Provider:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping with name, endpoint and url_patterns, got {raw!r}")
    name, endpoint = str(raw.get("name") or "").strip(), str(raw.get("endpoint") or "").strip()
    if not name:
        raise ValueError(f"{where}: give the provider a name")
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc:
        raise ValueError(f"{where} ({name}): endpoint {endpoint!r} is not an absolute http(s) URL")
    patterns = raw.get("url_patterns") or []
    if not isinstance(patterns, list) or not patterns:
        raise ValueError(f"{where} ({name}): give a list of url_patterns")
    try:
        compiled = tuple(re.compile(str(p), re.IGNORECASE) for p in patterns)
    except re.error as error:
        raise ValueError(f"{where} ({name}): bad url pattern: {error}") from error
    return Provider(name, endpoint, compiled)
