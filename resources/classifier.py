"""The dispatcher's rules file, how many processes extraction may use, and the oEmbed lookups of platform records."""

import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from content_pipeline.classify.oembed import OembedClient
from content_pipeline.fetch.settings import FetchSettings


class ClassifierResource(dg.ConfigurableResource):
    dispatch_rules: str | None = Field(
        default=None,
        description="The dispatcher's routing rules (YAML); None: the bundled defaults/dispatch_rules.yaml",
    )
    extraction_workers: int = Field(default=0, ge=0, description="Processes that extract pages; 0: one per core")
    oembed: bool = Field(default=True, description="Look up oEmbed for video, audio and social records")
    oembed_providers: str | None = Field(
        default=None,
        description="The oEmbed provider table (YAML); None: the bundled defaults/oembed_providers.yaml",
    )

    @property
    def rules(self) -> Path | None:
        return Path(self.dispatch_rules) if self.dispatch_rules else None

    @property
    def worker_count(self) -> int:
        return self.extraction_workers or os.cpu_count() or 1

    def oembed_client(self, fetch_settings: FetchSettings) -> OembedClient | None:
        """A client that fetches with the fetch stage's settings; None when oEmbed is switched off."""
        if not self.oembed:
            return None
        providers = Path(self.oembed_providers) if self.oembed_providers else None
        return OembedClient.from_settings(fetch_settings, providers)
