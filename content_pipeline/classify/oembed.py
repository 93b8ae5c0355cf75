"""oEmbed for video, audio and social records: find each record's endpoint, fetch all of them concurrently through
the pipeline's HttpFetcher (same SSRF guard, politeness, robots.txt and size cap as the fetch stage), and merge.

A failure of one lookup is recorded on its record as `details["oembed"]["status"]` (a fetch status such as
`http_error` or `blocked`, or `invalid_json`), never raised; the record keeps what its page gave.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from content_pipeline.classify.models import Extraction, Kind
from content_pipeline.classify.oembed_fields import (
    MAX_OEMBED_REASON_CHARS,
    MAX_OEMBED_URL_CHARS,
    InvalidOembedError,
    merge_oembed,
    parse_oembed,
)
from content_pipeline.classify.oembed_providers import Provider, endpoint_of, find_provider, load_providers, request_url
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.status import ClassifyStatus, FetchStatus, IngestStatus
from content_pipeline.urls import check_url

OEMBED_KINDS = frozenset({Kind.VIDEO, Kind.AUDIO, Kind.SOCIAL})
# not errors: the page failed, its oEmbed may still say what it is
LOOKED_UP_STATUSES = frozenset({ClassifyStatus.OK, ClassifyStatus.NOTHING_USEFUL, ClassifyStatus.UNSUPPORTED})
INVALID_JSON = "invalid_json"
OEMBED_MAX_ATTEMPTS = 2
OEMBED_TOTAL_TIMEOUT_S = 20.0
OEMBED_BACKOFF_MAX_S = 5.0


@dataclass(frozen=True)
class OembedTarget:
    """A classified record: the URL it was asked for, the URL that answered, and what its processor extracted."""

    url: str
    final_url: str
    extraction: Extraction


@dataclass(frozen=True)
class OembedLookup:
    """Where one record's oEmbed is asked for, and why there (the page's link or a provider table entry)."""

    request_url: str
    source: str  # "page" or "provider:<name>"

    def outcome(self, status: str, reason: str) -> dict[str, Any]:
        """What the record keeps about this lookup: its status, the endpoint without the query, and why."""
        endpoint, reason = endpoint_of(self.request_url)[:MAX_OEMBED_URL_CHARS], reason[:MAX_OEMBED_REASON_CHARS]
        return {"status": str(status), "endpoint": endpoint, "source": self.source, "reason": reason}


class OembedClient:
    """Fetches and merges oEmbed for a batch of classified records."""

    def __init__(self, fetcher: HttpFetcher, providers: Sequence[Provider]) -> None:
        self.fetcher = fetcher
        self.providers = list(providers)

    @classmethod
    def from_settings(cls, settings: FetchSettings, providers_path: Path | None = None) -> "OembedClient":
        """A client with its own fetcher (no HTTP cache) and the provider table at `providers_path` (bundled: None).

        oEmbed is a bonus on top of the page's own metadata: an unreachable provider gets fewer attempts and less
        time than a page does, so it cannot hold the classify stage up for minutes."""
        quick = replace(
            settings,
            max_attempts=min(settings.max_attempts, OEMBED_MAX_ATTEMPTS),
            total_timeout_s=min(settings.total_timeout_s, OEMBED_TOTAL_TIMEOUT_S),
            backoff_max_s=min(settings.backoff_max_s, OEMBED_BACKOFF_MAX_S),
        )
        return cls(HttpFetcher(quick), load_providers(providers_path))

    def lookup_for(self, target: OembedTarget) -> OembedLookup | None:
        """The page's advertised oEmbed link, else a provider table match; None for other kinds and failed pages."""
        extraction = target.extraction
        if extraction.kind not in OEMBED_KINDS or extraction.status not in LOOKED_UP_STATUSES:
            return None
        advertised = extraction.details.get("oembed_url")
        if isinstance(advertised, str) and advertised.strip():
            return OembedLookup(advertised.strip(), "page")
        found = find_provider(self.providers, (target.final_url, target.url))
        if found is None:
            return None
        provider, page_url = found
        return OembedLookup(request_url(provider.endpoint, page_url), f"provider:{provider.name}")

    def enrich(self, targets: Sequence[OembedTarget]) -> None:
        """Look up every target's oEmbed (each distinct URL once, all concurrently) and merge it in place."""
        lookups = [self.lookup_for(target) for target in targets]
        checked = {x.request_url: check_url(x.request_url) for x in lookups if x is not None}
        wanted = list(dict.fromkeys(c.url for c in checked.values() if c.status == IngestStatus.OK))
        requests = [FetchRequest(f"oembed-{n}", url) for n, url in enumerate(wanted)]
        results = dict(zip(wanted, self.fetcher.fetch_all(requests) if requests else [], strict=True))
        for target, lookup in zip(targets, lookups, strict=True):
            if lookup is None:
                continue
            check = checked[lookup.request_url]
            if check.status != IngestStatus.OK:
                outcome = lookup.outcome(FetchStatus.INVALID_URL, f"oEmbed URL: {check.reason}")
            else:
                outcome = apply(target.extraction, lookup, results[check.url])
            target.extraction.details["oembed"] = outcome


def apply(extraction: Extraction, lookup: OembedLookup, result: FetchResult) -> dict[str, Any]:
    """Merge one fetched answer into `extraction`; returns what the record keeps about the lookup."""
    if result.status != FetchStatus.OK:
        return lookup.outcome(str(result.status), result.reason)
    try:
        data = parse_oembed(result.body or b"", result.final_url or lookup.request_url)
    except InvalidOembedError as error:
        return lookup.outcome(INVALID_JSON, str(error))
    merge_oembed(extraction, data)
    return lookup.outcome(FetchStatus.OK, "") | data.kept()
