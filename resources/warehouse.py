"""The parquet warehouse: one file per asset partition, and the DuckDB catalog of views over them."""

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from content_pipeline.warehouse.partition_store import PartitionStore


class WarehouseResource(dg.ConfigurableResource):
    """Where every stage's partitions live (`root`) and the DuckDB file with one view per asset (`catalog_path`)."""

    root: str
    catalog_path: str

    @property
    def store(self) -> PartitionStore:
        return PartitionStore(Path(self.root))

    def write(self, asset: str, key: str, data: pl.DataFrame) -> Path:
        """Write one partition, then make sure the catalog has a view over all of the asset's partitions."""
        path = self.store.write(asset, key, data)
        problem = self.refresh_catalog()
        if problem:
            dg.get_dagster_logger().warning(problem)
        return path

    def read(
        self, asset: str, key: str, columns: list[str] | None = None, record_ids: list[str] | None = None
    ) -> pl.DataFrame:
        return self.store.read(asset, key, columns, record_ids)

    def refresh_catalog(self) -> str:
        """Recreate the catalog's views; returns a problem ('' when none) instead of failing a run."""
        Path(self.catalog_path).parent.mkdir(parents=True, exist_ok=True)
        catalog = DuckDBResource(database=self.catalog_path)
        try:
            self.store.refresh_catalog(catalog.get_connection)
        except duckdb.IOException as exc:  # another process holds the catalog file; its views are globs anyway
            return f"catalog {self.catalog_path} not refreshed ({exc}); views that exist still see every partition"
        return ""
