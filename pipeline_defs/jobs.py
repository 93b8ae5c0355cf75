"""The job that materializes a partition's five stages."""

import dagster as dg

from assets.categorize import categorize
from assets.classify import classify
from assets.export import export
from assets.fetch import fetch
from assets.ingest import ingest

STAGE_ASSETS = [ingest, fetch, classify, categorize, export]

# In process: a partition's five stages share one process instead of paying a subprocess start each.
pipeline_job = dg.define_asset_job(
    "pipeline_job",
    selection=dg.AssetSelection.assets(*STAGE_ASSETS),
    executor_def=dg.in_process_executor,
)
