"""The inbox folder that users drop CSV files of URLs into."""

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from content_pipeline.ingest.csv_inbox import read_inbox


class InboxResource(dg.ConfigurableResource):
    path: str

    def read(self, day: date) -> pl.DataFrame:
        return read_inbox(Path(self.path), day)
