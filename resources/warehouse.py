"""The parquet warehouse: one file per asset partition, and the DuckDB catalog of views over them."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from resources.fields.warehouse import WarehouseFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    import polars as pl

    from content_pipeline.warehouse.partition_store import PartitionStore
    from content_pipeline.warehouse.storage import Location


class WarehouseResource(WarehouseFields, dg.ConfigurableResource):
    """Where every stage's partitions live (`root`) and the DuckDB file with one view per asset (`catalog`)."""

    def rows_per_chunk(self, stage_default: int) -> int:
        return self.chunk_rows or stage_default

    @property
    def store(self) -> "PartitionStore":
        from content_pipeline.warehouse.partition_store import PartitionStore
        from content_pipeline.warehouse.storage import root_location

        return PartitionStore(root_location(self.root))

    def write(self, asset: str, day: str, data: "pl.DataFrame", refresh: bool = True) -> "Location":
        """Write one partition, then make sure the catalog has a view over all of the asset's partitions.

        `refresh=False` leaves the catalog to one `refresh_catalog_or_warn()` after the last day of a range run: a
        refresh reads every partition's footer, so one per written day would grow with the history."""
        path = self.store.write(asset, day, data)
        if refresh:
            self.refresh_catalog_or_warn()
        return path

    def read(
        self, asset: str, day: str, columns: list[str] | None = None, record_ids: list[str] | None = None
    ) -> "pl.DataFrame":
        return self.store.read(asset, day, columns, record_ids)

    def require(self, asset: str, days: Sequence[str]) -> None:
        """Fail before a range run starts when `asset` lacks any of the days `days` (all of them named)."""
        self.store.require(asset, days)

    def refresh_catalog_or_warn(self) -> None:
        if problem := self.refresh_catalog():
            dg.get_dagster_logger().warning(problem)

    def refresh_catalog(self) -> str:
        """Recreate the catalog's views; returns a problem ('' when none) instead of failing a run."""
        from content_pipeline.warehouse.catalog import CatalogBusyError, open_catalog

        try:
            store = self.store
            store.refresh_catalog(lambda: open_catalog(Path(self.catalog), storage=store.storage))
        except CatalogBusyError as exc:  # another process holds the catalog file; its views are globs anyway
            return str(exc)
        return ""
