"""classify: the content kind of every fetched record and what its processor extracted."""

import dagster as dg

from assets.metadata import counts, partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.classify.stage import classify_partition, oembed_status_counts, vision_totals
from resources.categorizer import CategorizerResource
from resources.classifier import ClassifierResource
from resources.fetcher import FetcherResource
from resources.warehouse import WarehouseResource


@dg.asset(partitions_def=daily_partitions, group_name="content", deps=["fetch"], kinds={"parquet"})
def classify(
    context: dg.AssetExecutionContext,
    classifier: ClassifierResource,
    fetcher: FetcherResource,
    categorizer: CategorizerResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """Kind (article, video, audio, social, image, other), processor and extracted facts per record.

    Video, audio and social records are completed from their oEmbed, fetched with the fetch stage's settings;
    with a Gemini key, images get Gemini Vision's visual category.
    """
    day = context.partition_key
    oembed = classifier.oembed_client(fetcher.settings())
    vision = categorizer.vision()
    try:
        fetched = warehouse.read("fetch", day)
        data = classify_partition(fetched, classifier.rules, classifier.worker_count, oembed, vision)
    finally:
        if vision is not None:
            vision.close()
    path = warehouse.write("classify", day, data)
    metadata = partition_metadata(data, path, ["record_id", "kind", "status", "title", "language", "word_count"])
    metadata["kind_counts"] = dg.MetadataValue.json(counts(data, "kind"))
    metadata["oembed_counts"] = dg.MetadataValue.json(oembed_status_counts(data))
    if vision is not None:
        metadata.update(vision_totals(data))
    return dg.MaterializeResult(metadata=metadata)
