"""Run the pipeline job for one partition through Dagster, in process, on the project's instance."""

import os
from pathlib import Path

import dagster as dg

from pipeline_defs.definitions import build_definitions
from pipeline_defs.settings import PROJECT_ROOT, Settings


def project_instance() -> dg.DagsterInstance:
    """The instance under DAGSTER_HOME; the project folder (with its dagster.yaml) when DAGSTER_HOME is unset."""
    if not os.environ.get("DAGSTER_HOME") and (PROJECT_ROOT / "dagster.yaml").is_file():
        os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT)
        os.chdir(PROJECT_ROOT)  # dagster.yaml's storage paths are relative to the project folder
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def run_partition(
    settings: Settings, day: str, instance: dg.DagsterInstance, log_level: str = "DEBUG"
) -> dg.ExecuteInProcessResult:
    """Materialize ingest -> fetch -> classify -> categorize -> export for `day` (YYYY-MM-DD)."""
    job = build_definitions(settings).resolve_job_def("pipeline_job")
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    return job.execute_in_process(run_config=run_config, partition_key=day, instance=instance, raise_on_error=False)
