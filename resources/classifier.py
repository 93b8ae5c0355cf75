"""The dispatcher's rules file, how many processes extraction may use, and the oEmbed lookups of platform records."""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from resources.fields.classifier import ClassifierFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    from content_pipeline.classify.dask_pool import DaskClassifyPool
    from content_pipeline.classify.oembed import OembedClient
    from content_pipeline.classify.pool import ClassifyPool
    from content_pipeline.fetch.settings import FetchSettings


class ClassifierResource(ClassifierFields, dg.ConfigurableResource):
    @property
    def rules(self) -> Path | None:
        return Path(self.dispatch_rules) if self.dispatch_rules else None

    @property
    def worker_count(self) -> int:
        return self.extraction_workers or os.cpu_count() or 1

    def oembed_client(self, fetch_settings: "FetchSettings") -> "OembedClient | None":
        """A client that fetches with the fetch stage's settings; None when oEmbed is switched off."""
        if not self.oembed:
            return None
        from content_pipeline.classify.oembed import OembedClient

        providers = Path(self.oembed_providers) if self.oembed_providers else None
        return OembedClient.from_settings(fetch_settings, providers)

    def page_pool(self, dask_scheduler: str | None = None) -> "ClassifyPool | DaskClassifyPool":
        """What extracts the pages, for a `with` block: the workers of the Dask cluster at `dask_scheduler` when one
        is given, else processes on this machine (started at the first chunk that needs them)."""
        if dask_scheduler:
            from content_pipeline.classify.dask_pool import DaskClassifyPool

            return DaskClassifyPool(dask_scheduler, self.rules)
        from content_pipeline.classify.pool import classify_pool

        return classify_pool(self.rules, self.worker_count)
