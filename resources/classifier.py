"""The dispatcher's rules file, how many processes extraction may use, and the oEmbed lookups of platform records."""

import os
from pathlib import Path

import dagster as dg

from content_pipeline.classify.oembed import OembedClient
from content_pipeline.fetch.settings import FetchSettings


class ClassifierResource(dg.ConfigurableResource):
    rules_path: str | None = None  # None: the bundled content_pipeline/defaults/dispatch_rules.yaml
    workers: int = 0  # extraction processes; 0: one per core
    oembed: bool = True  # fetch oEmbed for video, audio and social records
    oembed_providers_path: str | None = None  # None: the bundled content_pipeline/defaults/oembed_providers.yaml

    @property
    def rules(self) -> Path | None:
        return Path(self.rules_path) if self.rules_path else None

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    def oembed_client(self, fetch_settings: FetchSettings) -> OembedClient | None:
        """A client that fetches with the fetch stage's settings; None when oEmbed is switched off."""
        if not self.oembed:
            return None
        providers = Path(self.oembed_providers_path) if self.oembed_providers_path else None
        return OembedClient.from_settings(fetch_settings, providers)
