"""classify: the content kind of every fetched record and what its processor extracted."""

import dagster as dg
import polars as pl

from assets.chunks import progress_log, run_metadata, stage_stamp
from assets.fetch import OUTBOUND_HTTP_POOL
from assets.metadata import counts, partition_metadata
from assets.ranges import Day, materialize_days
from assets.stage_asset import stage_asset
from content_pipeline.classify.stage import (
    CLASSIFY_CHUNK_ROWS,
    FETCH_COLUMNS,
    classify_partition,
    may_keep_classified,
    oembed_status_counts,
    vision_totals,
)
from content_pipeline.quality.checks import stage_checks
from content_pipeline.stages import Stage
from content_pipeline.warehouse.chunked_stage import process_stored_day
from resources.classifier import ClassifierResource
from resources.cluster import ClusterResource
from resources.fetcher import FetcherResource
from resources.gemini import GeminiResource
from resources.quality import QualityResource
from resources.warehouse import WarehouseResource


@stage_asset(Stage.CLASSIFY, kinds={"parquet"}, pool=OUTBOUND_HTTP_POOL)  # the pool: oEmbed lookups
def classify(
    context: dg.AssetExecutionContext,
    classifier: ClassifierResource,
    cluster: ClusterResource,
    fetcher: FetcherResource,
    gemini: GeminiResource,
    quality: QualityResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """Kind (article, video, audio, social, image, other), processor and extracted facts per record.

    Video, audio and social records are completed from their oEmbed, fetched with the fetch stage's settings;
    with a Gemini key, images get Gemini Vision's visual category.
    """
    oembed = classifier.oembed_client(fetcher.settings())
    vision = gemini.vision()

    stamp = stage_stamp(context, classifier.rules, oembed is not None, vision is not None)

    chunk_rows = warehouse.rows_per_chunk(CLASSIFY_CHUNK_ROWS)

    def one_day(day: str) -> Day:
        with classifier.page_pool(cluster.dask_scheduler) as pool:  # local workers start at the first chunk

            def classify_chunk(fetched: pl.DataFrame) -> pl.DataFrame:
                return classify_partition(fetched, classifier.rules, classifier.worker_count, oembed, vision, pool=pool)

            run = process_stored_day(
                warehouse.store, Stage.CLASSIFY, day, FETCH_COLUMNS, chunk_rows, stamp, classify_chunk,
                progress_log(context), keep_if=may_keep_classified,
                chunks_done=pool.close,  # local workers (~150 MiB each) are gone before the day's rows are committed
            )  # fmt: skip
        data = run.committed.summary
        preview = ["record_id", "kind", "status", "title", "language", "word_count"]
        metadata = partition_metadata(Stage.CLASSIFY, data, run.committed.path, preview)
        metadata["kind_counts"] = dg.MetadataValue.json(counts(data, "kind"))
        metadata["oembed_counts"] = dg.MetadataValue.json(oembed_status_counts(data))
        if vision is not None:
            metadata.update(vision_totals(data))
        metadata.update(run_metadata(run))
        return Day(data, metadata, run.committed.content_version, kept=run.unchanged)

    try:
        return materialize_days(
            context,
            warehouse,
            one_day,
            checks=lambda data: stage_checks(Stage.CLASSIFY, data, max_failure_rate=quality.max_failure_rate),
        )
    finally:
        if vision is not None:
            vision.close()
