"""Outbound HTTP for the fetch stage: limits, politeness, the private-address guard and the HTTP cache."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import dagster as dg

from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_allowlist import check_entries
from resources.fields.fetcher import LIMITS, FetcherFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    from content_pipeline.fetch.http_fetcher import HttpFetcher


class FetcherResource(FetcherFields, dg.ConfigurableResource):
    """Every FetchSettings field, with its default and bounds from content_pipeline/fetch/settings.py."""

    def settings(self) -> FetchSettings:
        """The fetcher's settings; raises ValueError naming a bad `allow_private` entry before any request."""
        check_entries(self.allow_private, "FetcherResource allow_private")
        values: dict[str, Any] = {name: getattr(self, name) for name in LIMITS}
        return FetchSettings(**values, allow_private=tuple(self.allow_private))

    @contextmanager
    def open(self) -> Iterator["HttpFetcher"]:
        """A fetcher with the HTTP cache open for the duration of one stage run."""
        from content_pipeline.fetch.http_cache import HttpCache
        from content_pipeline.fetch.http_fetcher import HttpFetcher

        cache = HttpCache(self.http_cache) if self.http_cache else None  # a file, or a shared database's URL
        try:
            yield HttpFetcher(self.settings(), cache)
        finally:
            if cache is not None:
                cache.close()
