"""The job that materializes every stage of a partition, side effects included."""

import dagster as dg

from assets.categorize import categorize
from assets.classify import classify
from assets.export import export
from assets.export_files import export_files
from assets.fetch import fetch
from assets.filed_images import filed_images
from assets.ingest import ingest
from assets.sheet_results import sheet_results

STAGE_ASSETS = [ingest, fetch, classify, categorize, filed_images, export, export_files, sheet_results]  # as Stage

# In process: a partition's stages share one process instead of paying a subprocess start each.
pipeline_job = dg.define_asset_job(
    "pipeline_job",
    selection=dg.AssetSelection.assets(*STAGE_ASSETS),
    executor_def=dg.in_process_executor,
)
