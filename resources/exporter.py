"""Where the export stage writes its files."""

from pathlib import Path

import dagster as dg
import polars as pl

from content_pipeline.export.writers import write_exports


class ExportResource(dg.ConfigurableResource):
    output_dir: str

    def write(self, records: pl.DataFrame, day: str) -> dict[str, Path]:
        return write_exports(records, Path(self.output_dir), day)
