"""The Dask distributed cluster that classify's extraction and the local model's categorize fan out over."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import dagster as dg

from resources.fields.cluster import ClusterFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    from content_pipeline.categorize.provider import CategorizeProvider


class ClusterResource(ClusterFields, dg.ConfigurableResource):
    """The fields are in resources/fields/cluster.py; without a scheduler every stage runs on the run's machine."""

    @contextmanager
    def answering(self, provider: "CategorizeProvider") -> Iterator["CategorizeProvider"]:
        """Who computes `provider`'s answers in the block: the cluster's workers for the local model when a scheduler
        is set, else `provider` itself (Gemini's quotas and budget are held per run, in the run's process)."""
        from content_pipeline.categorize.local_provider import LocalEmbeddingProvider

        if not (self.dask_scheduler and isinstance(provider, LocalEmbeddingProvider)):
            yield provider
            return
        from content_pipeline.categorize.dask_provider import DaskLocalProvider

        with DaskLocalProvider(self.dask_scheduler, provider) as on_cluster:
            yield on_cluster
