"""What the chunked stages share on the Dagster side: their resume stamp, their progress lines, their run figures."""

from collections.abc import Callable

import dagster as dg

from content_pipeline.progress import StageProgress
from content_pipeline.warehouse.chunked_stage import StageRun

PROGRESS_LOG_EVERY_S = 5.0  # at most one progress line per stage and day this often in the run log (and the last)


def stage_stamp(context: dg.AssetExecutionContext, *parts: object) -> str:
    """What decides a stage's output besides its input rows: its code version and the given settings."""
    version = context.assets_def.code_versions_by_key.get(context.asset_key) or ""
    return "|".join([version, *(repr(part) for part in parts)])


def progress_log(context: dg.AssetExecutionContext) -> Callable[[StageProgress], None]:
    """A hook that writes `rows done of total, rate, ETA` to the run log per chunk (throttled) and at the end."""
    last: dict[str, float] = {}

    def log(progress: StageProgress) -> None:
        key = f"{progress.stage}/{progress.day}"
        now = progress.elapsed_s
        if progress.finished or progress.done == progress.kept or now - last.get(key, -1e9) >= PROGRESS_LOG_EVERY_S:
            last[key] = now
            context.log.info(progress.describe())

    return log


def run_metadata(run: StageRun) -> dict[str, object]:
    """How the day's chunks went: how many, and how many an interrupted run had already stored."""
    return {
        "chunks": dg.MetadataValue.int(run.chunks),
        "chunks_kept": dg.MetadataValue.int(run.kept_chunks),
        "unchanged_input": dg.MetadataValue.bool(run.unchanged),  # the stored partition was kept as it is
    }
