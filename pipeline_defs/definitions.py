"""The Definitions: assets, the job, and resources built from the environment (see settings.py)."""

import dagster as dg

from assets.categorize import categorize
from assets.classify import classify
from assets.export import export
from assets.fetch import fetch
from assets.ingest import ingest
from content_pipeline.categorize.gemini_batch import DEFAULT_POLL_INTERVAL_S
from pipeline_defs.settings import Settings
from resources.categorizer import CategorizerResource
from resources.classifier import ClassifierResource
from resources.exporter import ExportResource
from resources.fetcher import FetcherResource
from resources.inbox import InboxResource
from resources.warehouse import WarehouseResource

STAGE_ASSETS = [ingest, fetch, classify, categorize, export]

# In process: a partition's five stages share one process instead of paying a subprocess start each.
pipeline_job = dg.define_asset_job(
    "pipeline_job",
    selection=dg.AssetSelection.assets(*STAGE_ASSETS),
    executor_def=dg.in_process_executor,
)


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    categorizer = CategorizerResource(
        taxonomy_path=str(settings.taxonomy) if settings.taxonomy else None,
        gemini_api_key=dg.EnvVar("GEMINI_API_KEY") if settings.gemini_enabled else None,  # type: ignore[arg-type]
        gemini_base_url=settings.gemini_base_url,
        ai_cache_path=str(settings.ai_cache),
        ai_cache_local=settings.ai_cache_local,
        gemini_requests_per_minute=settings.gemini_requests_per_minute,
        gemini_tokens_per_minute=settings.gemini_tokens_per_minute,
        gemini_max_cost_usd=settings.gemini_max_cost_usd,
        gemini_max_output_tokens=settings.gemini_max_output_tokens,
        gemini_prices_path=str(settings.gemini_prices) if settings.gemini_prices else None,
        gemini_batch=settings.gemini_batch,
        gemini_batch_poll_interval_s=settings.gemini_batch_poll_s or DEFAULT_POLL_INTERVAL_S,
        **({"gemini_model": settings.gemini_model} if settings.gemini_model else {}),
    )
    return {
        "inbox": InboxResource(path=str(settings.inbox)),
        "warehouse": WarehouseResource(root=str(settings.warehouse), catalog_path=str(settings.catalog)),
        "fetcher": FetcherResource(
            allow_private=list(settings.fetch_allow_private),
            ignore_robots_for=list(settings.fetch_ignore_robots_for),
            http_cache_path=str(settings.http_cache),
        ),
        "classifier": ClassifierResource(
            rules_path=str(settings.dispatch_rules) if settings.dispatch_rules else None,
            oembed=settings.oembed_enabled,
            oembed_providers_path=str(settings.oembed_providers) if settings.oembed_providers else None,
        ),
        "categorizer": categorizer,
        "exporter": ExportResource(output_dir=str(settings.output)),
    }


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=STAGE_ASSETS,
        jobs=[pipeline_job],
        resources=build_resources(settings),
        executor=dg.in_process_executor,  # also for runs launched from the UI
    )


defs = build_definitions(Settings.from_env())
