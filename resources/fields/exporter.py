"""The fields of ExportResource (resources/exporter.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from typing import Literal

from pydantic import BaseModel, Field


class ExportFields(BaseModel):
    output: str = Field(
        description="Where each day's records.csv, records.parquet and report.html go (default: under the home folder)"
    )
    images_output: str | None = Field(
        default=None, description="Where images are filed by category; None: <output>/images"
    )
    images_mode: Literal["copy", "move"] = Field(
        default="copy", description="copy the images, or move them: a source is deleted once its copy is verified"
    )
    moved_images: str | None = Field(
        default=None,
        description="The ledger (SQLite) of the images move mode took out of their folders, so reruns find them",
    )
