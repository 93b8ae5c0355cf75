"""The Definitions: assets, the job, schedule and sensors, and resources built from the environment (settings.py)."""

from collections.abc import Mapping, Sequence

import dagster as dg

from content_pipeline.categorize.gemini_constants import DEFAULT_POLL_INTERVAL_S
from content_pipeline.stages import Stage
from content_pipeline.versions import VersionInputs, provider_kind, stage_code_versions
from pipeline_defs import dagster_patches
from pipeline_defs.jobs import STAGE_ASSETS, pipeline_job
from pipeline_defs.schedules import build_daily_close_schedule
from pipeline_defs.sensors import (
    build_automation_sensor,
    build_inbox_files_sensor,
    build_run_failure_alert_sensor,
    build_sheet_rows_sensor,
)
from pipeline_defs.settings import Settings
from resources.categorizer import CategorizerResource
from resources.classifier import ClassifierResource
from resources.exporter import ExportResource
from resources.fetcher import FetcherResource
from resources.inbox import InboxResource
from resources.quality import QualityResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource


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
        "inbox": InboxResource(
            path=str(settings.inbox),
            image_folders=[str(p) for p in settings.image_folders],
            moved_images_path=str(settings.moved_images),
            images_root=str(settings.images_root),
        ),
        "warehouse": WarehouseResource(
            root=str(settings.warehouse), catalog_path=str(settings.catalog), chunk_rows=settings.chunk_rows
        ),
        "fetcher": FetcherResource.from_settings(
            settings.fetch,
            ignore_robots_for=settings.fetch_ignore_robots_for,
            http_cache_path=str(settings.http_cache),
        ),
        "classifier": ClassifierResource(
            rules_path=str(settings.dispatch_rules) if settings.dispatch_rules else None,
            oembed=settings.oembed_enabled,
            oembed_providers_path=str(settings.oembed_providers) if settings.oembed_providers else None,
        ),
        "categorizer": categorizer,
        "exporter": ExportResource(
            output_dir=str(settings.output),
            images_dir=str(settings.images_root),
            moved_images_path=str(settings.moved_images),
            images_mode="move" if settings.images_mode == "move" else "copy",
        ),
        "sheets": sheets_resource(settings),
        "quality": QualityResource(
            **({"max_failure_rate": settings.max_failure_rate} if settings.max_failure_rate is not None else {})
        ),
    }


def sheets_resource(settings: Settings) -> SheetsResource:
    """Google Sheets when a spreadsheet is configured (the key only through dg.EnvVar); off otherwise."""
    if not settings.sheets_spreadsheet_id:
        return SheetsResource()
    optional: dict[str, object] = {
        "results_worksheet": settings.sheets_results_worksheet,
        "id_column": settings.sheets_id_column,
        "requests_per_minute": settings.sheets_requests_per_minute,
        "max_attempts": settings.sheets_max_attempts,
        "timeout_s": settings.sheets_timeout_s,
    }
    return SheetsResource(
        spreadsheet_id=settings.sheets_spreadsheet_id,
        credentials_json=dg.EnvVar("CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON")
        if settings.sheets_credentials_json
        else None,  # type: ignore[arg-type]
        credentials_file=str(settings.sheets_credentials_file) if settings.sheets_credentials_file else None,
        input_worksheet=settings.sheets_input_worksheet,
        write_back=settings.sheets_write_back,
        endpoint=settings.sheets_endpoint,
        **{k: v for k, v in optional.items() if v is not None},  # type: ignore[arg-type]
    )


def code_versions(settings: Settings) -> dict[str, str]:
    """Each stage's code version from the files, provider and model in use (content_pipeline/versions.py)."""
    return stage_code_versions(
        VersionInputs(
            rules_path=settings.dispatch_rules,
            taxonomy_path=settings.taxonomy,
            provider=provider_kind(settings.gemini_enabled, settings.gemini_batch),
            gemini_model=settings.gemini_model,
            oembed=settings.oembed_enabled,
            oembed_providers_path=settings.oembed_providers,
        )
    )


# Eager below ingest: a stage of today's partition that updates outside a whole-pipeline run (say ingest alone,
# materialized from the UI) brings the stages below it up to date, the side effects (filed images, the day's files,
# the Sheet) included. Runs of pipeline_job update a stage together
# with its parents, which eager ignores, so the sensors' and the schedule's runs are never run twice. Plain eager
# ignores failed asset checks, so a stage also waits until its parent's blocking checks have passed.
AUTOMATED_STAGES = frozenset(stage for stage in Stage if stage is not Stage.INGEST)
AUTOMATION_LABEL = "eager, once the parent's blocking checks passed"


def downstream_condition() -> dg.AutomationCondition:
    return (dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()).with_label(
        AUTOMATION_LABEL
    )


def versioned_assets(versions: Mapping[str, str]) -> Sequence[dg.AssetsDefinition]:
    """The stage assets with their code versions and automation conditions set."""

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        name = spec.key.to_user_string()
        condition = downstream_condition() if name in AUTOMATED_STAGES else spec.automation_condition
        return spec.replace_attributes(code_version=versions[name], automation_condition=condition)

    return dg.map_asset_specs(apply, STAGE_ASSETS)


dagster_patches.apply()  # a waiting run must not spin a core (see dagster_patches.py)


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=versioned_assets(code_versions(settings)),
        jobs=[pipeline_job],
        schedules=[build_daily_close_schedule(settings.timezone)],
        sensors=[
            build_sheet_rows_sensor(running=bool(settings.sheets_spreadsheet_id)),
            build_inbox_files_sensor(),
            build_run_failure_alert_sensor(webhook=settings.alert_webhook, dagster_url=settings.dagster_url),
            build_automation_sensor(),
        ],
        resources=build_resources(settings),
        executor=dg.in_process_executor,  # also for runs launched from the UI
    )


defs = build_definitions(Settings.from_env())
