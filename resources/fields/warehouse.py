"""The fields of WarehouseResource (resources/warehouse.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field


class WarehouseFields(BaseModel):
    """Where every stage's partitions live (`root`) and the DuckDB file with one view per asset (`catalog`)."""

    root: str = Field(
        description="The folder of every stage's partitions (default: under the home folder), or an S3-compatible "
        "store's s3://bucket/prefix (endpoint and keys from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
    )
    catalog: str = Field(description="The DuckDB file with one view per stage (default: under the home folder)")
    chunk_rows: int | None = Field(
        default=None,
        ge=1,
        description="Rows per chunk in every stage (fewer: less memory; more: less overhead); "
        "None: each stage's own (see the stages' *_CHUNK_ROWS)",
    )
