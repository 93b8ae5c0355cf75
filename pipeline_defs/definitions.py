"""The Definitions: assets, the job, schedule and sensors, and the resources settings.py built from the environment."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg

from assets.partitions import daily_partitions_from
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


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources of the Definitions, by key (built from the environment in settings.py)."""
    return settings.resources.by_key()


def code_versions(settings: Settings) -> dict[str, str]:
    """Each stage's code version from the files, provider and model in use (content_pipeline/versions.py)."""
    resources = settings.resources
    classifier, categorizer = resources.classifier, resources.categorizer
    return stage_code_versions(
        VersionInputs(
            rules_path=classifier.rules,
            taxonomy_path=Path(categorizer.taxonomy) if categorizer.taxonomy else None,
            provider=provider_kind(resources.gemini.enabled, categorizer.gemini_batch),
            gemini_model=resources.gemini.model,
            oembed=classifier.oembed,
            oembed_providers_path=Path(classifier.oembed_providers) if classifier.oembed_providers else None,
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


def versioned_assets(
    versions: Mapping[str, str], partitions: dg.DailyPartitionsDefinition
) -> Sequence[dg.AssetsDefinition]:
    """The stage assets with their code versions, automation conditions and configured partitions set."""

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        name = spec.key.to_user_string()
        condition = downstream_condition() if name in AUTOMATED_STAGES else spec.automation_condition
        return spec.replace_attributes(
            code_version=versions[name], automation_condition=condition, partitions_def=partitions
        )

    return dg.map_asset_specs(apply, STAGE_ASSETS)


dagster_patches.apply()  # a waiting run must not spin a core (see dagster_patches.py)


def build_definitions(settings: Settings) -> dg.Definitions:
    partitions = daily_partitions_from(settings.start_date)
    return dg.Definitions(
        assets=versioned_assets(code_versions(settings), partitions),
        jobs=[pipeline_job],
        schedules=[build_daily_close_schedule(settings.timezone, partitions)],
        sensors=[
            build_sheet_rows_sensor(partitions, running=settings.resources.sheets.enabled),
            build_inbox_files_sensor(partitions),
            build_run_failure_alert_sensor(),
            build_automation_sensor(),
        ],
        resources=build_resources(settings),
        executor=dg.in_process_executor,  # also for runs launched from the UI
    )


defs = build_definitions(Settings.from_env())
