"""classify: the content kind of every fetched record and what its processor extracted."""

import dagster as dg

from assets.metadata import counts, partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.classify.stage import classify_partition
from resources.classifier import ClassifierResource
from resources.warehouse import WarehouseResource


@dg.asset(partitions_def=daily_partitions, group_name="content", deps=["fetch"], kinds={"parquet"})
def classify(
    context: dg.AssetExecutionContext, classifier: ClassifierResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Kind (article, video, audio, social, image, other), processor and extracted facts per record."""
    day = context.partition_key
    data = classify_partition(warehouse.read("fetch", day), classifier.rules, classifier.worker_count)
    path = warehouse.write("classify", day, data)
    metadata = partition_metadata(data, path, ["record_id", "kind", "status", "title", "language", "word_count"])
    metadata["kind_counts"] = dg.MetadataValue.json(counts(data, "kind"))
    return dg.MaterializeResult(metadata=metadata)
